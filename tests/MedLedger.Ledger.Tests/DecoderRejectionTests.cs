using MedLedger.Core;

namespace MedLedger.Ledger.Tests;

/// <summary>
/// Every ledger decoder is strict (docs/encoding.md, "Decoding"): truncation at any point, trailing bytes, unknown
/// versions and oversized fields are all <see cref="DecodingException"/>, and whatever decodes re-encodes to the
/// same bytes (one value, one encoding).
/// </summary>
public sealed class DecoderRejectionTests
{
    private const int Seed = 1_000_003;

    /// <summary>A decoder under test: a valid sample, how to decode and re-encode, and whether byte 0 is a version.</summary>
    private sealed record Decoder(string Name, byte[] Sample, Func<byte[], byte[]> DecodeAndEncode, bool HasVersion);

    private static readonly Decoder[] Decoders =
    [
        new("Transaction", GoldenEncodingTests.GoldenTransaction().Encoded.ToArray(), b => Transaction.Decode(b).Encoded.ToArray(), true),
        new("BlockHeader", GoldenEncodingTests.GoldenHeader().Encode(), b => BlockHeader.Decode(b).Encode(), true),
        new("CommitCertificate", GoldenEncodingTests.GoldenCertificate().Encode(), b => CommitCertificate.Decode(b).Encode(), true),
        new("ValidatorSet", GoldenEncodingTests.GoldenValidatorSet().Encode(), b => ValidatorSet.Decode(b).Encode(), true),
        new("Account", GoldenEncodingTests.GoldenAccount().Encode(), b => Account.Decode(b).Encode(), true),
        new("AnchorRecord", new AnchorRecord(TestHex.Filled(0x11), 12).Encode(), b => AnchorRecord.Decode(b).Encode(), true),
        new("AccountRegisterPayload", GoldenEncodingTests.GoldenRegisterPayload().Encode(), b => AccountRegisterPayload.Decode(b).Encode(), false),
        new("AccountRevokePayload", new AccountRevokePayload(TestHex.Filled(0x44)).Encode(), b => AccountRevokePayload.Decode(b).Encode(), false),
        new("CommitmentAnchorPayload", new CommitmentAnchorPayload(TestHex.Filled(0xAA)).Encode(), b => CommitmentAnchorPayload.Decode(b).Encode(), false),
    ];

    public static TheoryData<string> DecoderNames => [.. Decoders.Select(d => d.Name)];

    public static TheoryData<string> VersionedDecoderNames => [.. Decoders.Where(d => d.HasVersion).Select(d => d.Name)];

    // Proves the sample decodes and re-encodes to the same bytes, so the rejections below come from the alterations.
    [Theory]
    [MemberData(nameof(DecoderNames))]
    public void Decode_ValidSample_ReEncodesIdentically(string name)
    {
        var decoder = Find(name);
        Assert.Equal(TestHex.Of(decoder.Sample), TestHex.Of(decoder.DecodeAndEncode(decoder.Sample)));
    }

    // Proves truncation at every cut point, from empty to one byte short, is a DecodingException.
    [Theory]
    [MemberData(nameof(DecoderNames))]
    public void Decode_TruncatedAtEveryCutPoint_ThrowsDecodingException(string name)
    {
        var decoder = Find(name);
        for (var cut = 0; cut < decoder.Sample.Length; cut++)
        {
            var truncated = decoder.Sample[..cut];
            var exception = Record.Exception(() => decoder.DecodeAndEncode(truncated));
            Assert.True(exception is DecodingException, $"{name} cut at {cut} of {decoder.Sample.Length}: {exception?.GetType().Name ?? "accepted"}");
        }
    }

    // Proves one or more trailing bytes after a complete encoding are a DecodingException.
    [Theory]
    [MemberData(nameof(DecoderNames))]
    public void Decode_TrailingBytes_ThrowsDecodingException(string name)
    {
        var decoder = Find(name);
        Assert.Throws<DecodingException>(() => decoder.DecodeAndEncode([.. decoder.Sample, 0x00]));
        Assert.Throws<DecodingException>(() => decoder.DecodeAndEncode([.. decoder.Sample, .. decoder.Sample]));
    }

    // Proves every version byte other than 1 is a DecodingException (a future format is refused, not misread).
    [Theory]
    [MemberData(nameof(VersionedDecoderNames))]
    public void Decode_UnknownVersion_ThrowsDecodingException(string name)
    {
        var decoder = Find(name);
        for (var version = 0; version <= byte.MaxValue; version++)
        {
            if (version == 1)
            {
                continue;
            }

            var altered = (byte[])decoder.Sample.Clone();
            altered[0] = (byte)version;
            var exception = Record.Exception(() => decoder.DecodeAndEncode(altered));
            Assert.True(exception is DecodingException, $"{name} version {version}: {exception?.GetType().Name ?? "accepted"}");
        }
    }

    // Proves seeded random mutations (bit flips, byte changes, insertions, deletions) of each sample either fail with
    // DecodingException or decode to a value that re-encodes to exactly the mutated bytes; no other exception
    // escapes and no second encoding of a value is accepted.
    [Theory]
    [MemberData(nameof(DecoderNames))]
    public void Decode_RandomMutations_RejectCleanlyOrRoundTripExactly(string name)
    {
        var decoder = Find(name);
        var random = new Random(Seed + name.Length);
        for (var i = 0; i < 3_000; i++)
        {
            var mutated = Mutate(random, decoder.Sample);
            byte[] reEncoded;
            try
            {
                reEncoded = decoder.DecodeAndEncode(mutated);
            }
            catch (DecodingException)
            {
                continue;
            }
            catch (Exception exception)
            {
                Assert.Fail($"{name}, seed {Seed + name.Length}, mutation {i}: {exception.GetType().Name} for {TestHex.Of(mutated)}");
                throw;
            }

            Assert.True(
                reEncoded.AsSpan().SequenceEqual(mutated),
                $"{name}, seed {Seed + name.Length}, mutation {i}: {TestHex.Of(mutated)} decoded but re-encodes as {TestHex.Of(reEncoded)}");
        }
    }

    // Proves Transaction.Decode refuses input above MaxTransactionBytes before reading it, and refuses each field
    // above its own limit: chain id, payload, signature.
    [Fact]
    public void TransactionDecode_OversizedInputOrFields_ThrowsDecodingException()
    {
        var sample = GoldenEncodingTests.GoldenTransaction().Encoded.ToArray();
        var tooLarge = new byte[Limits.MaxTransactionBytes + 1];
        sample.CopyTo(tooLarge, 0);
        var exception = Assert.Throws<DecodingException>(() => Transaction.Decode(tooLarge));
        Assert.Contains($"{Limits.MaxTransactionBytes}", exception.Message, StringComparison.Ordinal);

        Assert.Throws<DecodingException>(() => Transaction.Decode(Envelope(new string('c', Limits.MaxChainIdBytes + 1), 32, 64)));
        Assert.Throws<DecodingException>(() => Transaction.Decode(Envelope("medledger-golden", Limits.MaxTransactionPayloadBytes + 1, 64)));
        Assert.Throws<DecodingException>(() => Transaction.Decode(Envelope("medledger-golden", 32, Limits.MaxSignatureBytes + 1)));

        // Each field exactly at its limit is accepted, and the whole still fits MaxTransactionBytes.
        var largest = Envelope(new string('c', Limits.MaxChainIdBytes), Limits.MaxTransactionPayloadBytes, Limits.MaxSignatureBytes);
        Assert.True(largest.Length <= Limits.MaxTransactionBytes);
        Assert.Equal(largest, Transaction.Decode(largest).Encoded.ToArray());
    }

    // Proves BlockHeader.Decode refuses a chain id above its limit and a transaction count above MaxTransactionsPerBlock.
    [Fact]
    public void BlockHeaderDecode_OversizedFields_ThrowsDecodingException()
    {
        var header = GoldenEncodingTests.GoldenHeader();
        Assert.Throws<DecodingException>(() => BlockHeader.Decode((header with { ChainId = new string('c', Limits.MaxChainIdBytes + 1) }).Encode()));
        Assert.Throws<DecodingException>(() => BlockHeader.Decode((header with { TransactionCount = Limits.MaxTransactionsPerBlock + 1 }).Encode()));
        Assert.Throws<DecodingException>(() => BlockHeader.Decode((header with { TransactionCount = uint.MaxValue }).Encode()));
        Assert.Equal(Limits.MaxTransactionsPerBlock, (int)BlockHeader.Decode((header with { TransactionCount = Limits.MaxTransactionsPerBlock }).Encode()).TransactionCount);
    }

    // Proves CommitCertificate.Decode refuses more signatures than MaxValidators (from the count alone, over a tiny
    // buffer) and a signature above MaxSignatureBytes.
    [Fact]
    public void CommitCertificateDecode_OversizedFields_ThrowsDecodingException()
    {
        var writer = new CanonicalWriter();
        writer.WriteByte(1);
        writer.WriteUInt64(5);
        writer.WriteUInt32(0);
        writer.WriteHash(Hash.Zero);
        writer.WriteCount(Limits.MaxValidators + 1);
        Assert.Throws<DecodingException>(() => CommitCertificate.Decode(writer.ToArray()));

        var bigSignature = new CommitCertificate(5, 0, Hash.Zero, [new CommitSignature(Hash.Zero, new byte[Limits.MaxSignatureBytes + 1])]);
        Assert.Throws<DecodingException>(() => CommitCertificate.Decode(bigSignature.Encode()));
    }

    // Proves a certificate has one encoding: signatures must be in strictly increasing validator key-id order, as
    // Encode writes them; an unsorted or duplicated list is refused rather than accepted in a second form.
    [Fact]
    public void CommitCertificateDecode_SignaturesNotInKeyIdOrder_ThrowsDecodingException()
    {
        var unsorted = new CanonicalWriter();
        unsorted.WriteByte(1);
        unsorted.WriteUInt64(5);
        unsorted.WriteUInt32(2);
        unsorted.WriteHash(TestHex.Filled(0x0B));
        unsorted.WriteCount(2);
        unsorted.WriteHash(TestHex.Filled(0x22));
        unsorted.WriteBytes(TestHex.FilledBytes(0x62, 64));
        unsorted.WriteHash(TestHex.Filled(0x21));
        unsorted.WriteBytes(TestHex.FilledBytes(0x61, 64));
        var unsortedException = Record.Exception(() => CommitCertificate.Decode(unsorted.ToArray()));
        Assert.True(unsortedException is DecodingException, "an unsorted certificate was accepted");

        var duplicated = new CommitCertificate(5, 2, TestHex.Filled(0x0B), [new CommitSignature(TestHex.Filled(0x21), TestHex.FilledBytes(0x61, 64)), new CommitSignature(TestHex.Filled(0x21), TestHex.FilledBytes(0x62, 64))]);
        var duplicateException = Record.Exception(() => CommitCertificate.Decode(duplicated.Encode()));
        Assert.True(duplicateException is DecodingException, "a certificate with a repeated validator was accepted");
    }

    // Proves ValidatorSet.Decode refuses: more than MaxValidators, none, an oversized key or name, validators out of
    // key-id order, a repeated validator, and zero power.
    [Fact]
    public void ValidatorSetDecode_InvalidSets_ThrowDecodingException()
    {
        var key = TestHex.FilledBytes(0x04, 65);
        Assert.Throws<DecodingException>(() => ValidatorSet.Decode(ValidatorSetBytes(Enumerable.Range(0, Limits.MaxValidators + 1).Select(i => (Id(i), key, 1UL, "v")).ToArray())));
        Assert.Throws<DecodingException>(() => ValidatorSet.Decode(ValidatorSetBytes()));
        Assert.Throws<DecodingException>(() => ValidatorSet.Decode(ValidatorSetBytes((Id(1), new byte[Limits.MaxPublicKeyBytes + 1], 1UL, "v"))));
        Assert.Throws<DecodingException>(() => ValidatorSet.Decode(ValidatorSetBytes((Id(1), key, 1UL, new string('n', Limits.MaxNameBytes + 1)))));
        Assert.Throws<DecodingException>(() => ValidatorSet.Decode(ValidatorSetBytes((Id(2), key, 1UL, "b"), (Id(1), key, 1UL, "a"))));
        Assert.Throws<DecodingException>(() => ValidatorSet.Decode(ValidatorSetBytes((Id(1), key, 1UL, "a"), (Id(1), key, 1UL, "a"))));
        Assert.Throws<DecodingException>(() => ValidatorSet.Decode(ValidatorSetBytes((Id(1), key, 0UL, "a"))));

        // MaxValidators validators with the largest keys and longest names decode.
        var largest = ValidatorSetBytes(Enumerable.Range(0, Limits.MaxValidators).Select(i => (Id(i), new byte[Limits.MaxPublicKeyBytes], 1UL, new string('n', Limits.MaxNameBytes))).ToArray());
        Assert.Equal(Limits.MaxValidators, ValidatorSet.Decode(largest).Validators.Count);
    }

    // Proves powers whose sum overflows 64 bits are bad input like any other: DecodingException, not an
    // OverflowException escaping the decoder's contract.
    [Fact]
    public void ValidatorSetDecode_TotalPowerOverflows_ThrowsDecodingException()
    {
        var key = TestHex.FilledBytes(0x04, 65);
        var bytes = ValidatorSetBytes((Id(1), key, ulong.MaxValue, "a"), (Id(2), key, 1UL, "b"));
        var exception = Record.Exception(() => ValidatorSet.Decode(bytes));
        Assert.True(exception is DecodingException, $"{exception?.GetType().Name ?? "accepted"}: {exception?.Message}");
    }

    // Proves Account.Decode and AccountRegisterPayload.Decode refuse an oversized public key or name, and a revoked
    // flag other than 0 or 1.
    [Fact]
    public void AccountDecoders_OversizedFieldsOrBadBoolean_ThrowDecodingException()
    {
        var account = GoldenEncodingTests.GoldenAccount();
        Assert.Throws<DecodingException>(() => Account.Decode((account with { PublicKey = new byte[Limits.MaxPublicKeyBytes + 1] }).Encode()));
        Assert.Throws<DecodingException>(() => Account.Decode((account with { Name = new string('n', Limits.MaxNameBytes + 1) }).Encode()));
        var badBoolean = account.Encode();
        badBoolean[^1] = 2;
        Assert.Throws<DecodingException>(() => Account.Decode(badBoolean));

        var payload = GoldenEncodingTests.GoldenRegisterPayload();
        Assert.Throws<DecodingException>(() => AccountRegisterPayload.Decode((payload with { PublicKey = new byte[Limits.MaxPublicKeyBytes + 1] }).Encode()));
        Assert.Throws<DecodingException>(() => AccountRegisterPayload.Decode((payload with { Name = new string('n', Limits.MaxNameBytes + 1) }).Encode()));
    }

    // Proves seeded random transactions with every field anywhere within its limits round-trip through Decode.
    [Fact]
    public void TransactionDecode_RandomValidTransactions_RoundTrip()
    {
        var random = new Random(Seed);
        for (var i = 0; i < 500; i++)
        {
            var chainId = new string((char)random.Next('a', 'z' + 1), random.Next(1, Limits.MaxChainIdBytes + 1));
            var payload = new byte[random.Next(0, i % 50 == 0 ? Limits.MaxTransactionPayloadBytes + 1 : 200)];
            var signature = new byte[random.Next(0, Limits.MaxSignatureBytes + 1)];
            random.NextBytes(payload);
            random.NextBytes(signature);
            var sender = new byte[32];
            random.NextBytes(sender);
            var transaction = Transaction.FromParts(chainId, (TransactionType)random.Next(0, 65_536), new Hash(sender), (ulong)random.NextInt64(), (ulong)random.NextInt64(), payload, signature);
            var decoded = Transaction.Decode(transaction.Encoded.Span);
            var same = decoded.ChainId == chainId && decoded.Type == transaction.Type && decoded.Sender == transaction.Sender
                && decoded.Nonce == transaction.Nonce && decoded.ExpiryHeight == transaction.ExpiryHeight
                && decoded.Payload.Span.SequenceEqual(payload) && decoded.Signature.Span.SequenceEqual(signature)
                && decoded.Encoded.Span.SequenceEqual(transaction.Encoded.Span)
                && decoded.EncodeSigningBytes().AsSpan().SequenceEqual(transaction.EncodeSigningBytes());
            Assert.True(same, $"seed {Seed}, iteration {i}");
        }
    }

    private static Decoder Find(string name) => Decoders.Single(d => d.Name == name);

    private static Hash Id(int i)
    {
        var bytes = new byte[32];
        bytes[0] = (byte)(i >> 8);
        bytes[1] = (byte)i;
        return new Hash(bytes);
    }

    private static byte[] Envelope(string chainId, int payloadBytes, int signatureBytes)
    {
        var writer = new CanonicalWriter();
        writer.WriteByte(1);
        writer.WriteString(chainId);
        writer.WriteUInt16((ushort)TransactionType.CommitmentAnchor);
        writer.WriteHash(TestHex.Filled(0x11));
        writer.WriteUInt64(1);
        writer.WriteUInt64(2);
        writer.WriteBytes(new byte[payloadBytes]);
        writer.WriteBytes(new byte[signatureBytes]);
        return writer.ToArray();
    }

    private static byte[] ValidatorSetBytes(params (Hash KeyId, byte[] PublicKey, ulong Power, string Name)[] validators)
    {
        var writer = new CanonicalWriter();
        writer.WriteByte(1);
        writer.WriteCount(validators.Length);
        foreach (var (keyId, publicKey, power, name) in validators)
        {
            writer.WriteHash(keyId);
            writer.WriteBytes(publicKey);
            writer.WriteUInt64(power);
            writer.WriteString(name);
        }

        return writer.ToArray();
    }

    private static byte[] Mutate(Random random, byte[] sample)
    {
        var bytes = new List<byte>(sample);
        for (var m = random.Next(1, 4); m > 0; m--)
        {
            var position = random.Next(0, bytes.Count + 1);
            switch (random.Next(4))
            {
                case 0 when position < bytes.Count:
                    bytes[position] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when position < bytes.Count:
                    bytes[position] = (byte)random.Next(256);
                    break;
                case 2:
                    bytes.Insert(position, (byte)random.Next(256));
                    break;
                default:
                    if (position < bytes.Count)
                    {
                        bytes.RemoveAt(position);
                    }

                    break;
            }
        }

        return [.. bytes];
    }
}
