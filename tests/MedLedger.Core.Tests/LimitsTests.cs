using System.Reflection;

namespace MedLedger.Core.Tests;

/// <summary>
/// The limits are chosen together; these tests pin their relations (STYLE.md, "Assertions stay on"), so that changing
/// one limit cannot silently make another unreachable or unsafe. Sizes are computed with the canonical writer from the
/// layouts in docs/encoding.md, at each field's maximum.
/// </summary>
public sealed class LimitsTests
{
    // P-256 and SM2, the curves of the two suites: uncompressed points and IEEE P1363 signatures.
    private const int LargestSuitePublicKeyBytes = 65;
    private const int LargestSuiteSignatureBytes = 64;

    // Proves a transaction with the largest payload, the longest chain id and the largest signature still fits in
    // MaxTransactionBytes, so the payload limit, not the envelope limit, is what a client meets.
    [Fact]
    public void MaxTransactionBytes_HoldsMaxPayloadPlusLargestEnvelope()
    {
        var overhead = TransactionBytes(Limits.MaxChainIdBytes, 0, Limits.MaxSignatureBytes);
        Assert.Equal(1 + 4 + 64 + 2 + 32 + 8 + 8 + 4 + 4 + 128, overhead);
        Assert.True(
            Limits.MaxTransactionBytes >= Limits.MaxTransactionPayloadBytes + overhead,
            $"{Limits.MaxTransactionPayloadBytes} + {overhead} > {Limits.MaxTransactionBytes}");
    }

    // Proves the largest transaction fits in a block, so every admissible transaction can be included.
    [Fact]
    public void MaxBlockBytes_HoldsLargestTransaction()
    {
        Assert.True(Limits.MaxBlockBytes >= Limits.MaxTransactionBytes);
    }

    // Proves a block can reach MaxTransactionsPerBlock with ordinary small transactions (a 32-byte anchor under the
    // longest chain id) before MaxBlockBytes cuts it, and that the count limit bounds the smallest possible
    // transactions to a few MiB, well under the byte limit.
    [Fact]
    public void MaxTransactionsPerBlock_SmallTransactionsFitInMaxBlockBytes()
    {
        var smallest = TransactionBytes(1, 0, 0);
        var anchor = TransactionBytes(Limits.MaxChainIdBytes, 32, LargestSuiteSignatureBytes);
        Assert.True((long)Limits.MaxTransactionsPerBlock * anchor <= Limits.MaxBlockBytes, $"{Limits.MaxTransactionsPerBlock} x {anchor} bytes");
        Assert.True((long)Limits.MaxTransactionsPerBlock * smallest <= 4L * 1024 * 1024, $"{Limits.MaxTransactionsPerBlock} x {smallest} bytes");
        Assert.True(Limits.MaxTransactionsPerBlock >= 1);
    }

    // Proves the API can receive one maximal transaction as base64 inside a JSON body, with room for the JSON around
    // it, and a full batch of ordinary (anchor-sized) transactions.
    [Fact]
    public void MaxRequestBodyBytes_HoldsLargestTransactionInBase64()
    {
        const int JsonSlack = 1024;
        Assert.True(Limits.MaxRequestBodyBytes >= Base64Length(Limits.MaxTransactionBytes) + JsonSlack);

        var anchor = TransactionBytes(Limits.MaxChainIdBytes, 32, LargestSuiteSignatureBytes);
        Assert.True((long)Limits.MaxTransactionsPerRequest * (Base64Length(anchor) + 16) + JsonSlack <= Limits.MaxRequestBodyBytes);
    }

    // Proves the mempool holds at least one full block by count and by bytes (else blocks could never fill up), and
    // that one batch request cannot exceed the mempool.
    [Fact]
    public void Mempool_HoldsAtLeastOneFullBlock()
    {
        Assert.True(Limits.MaxMempoolTransactions >= Limits.MaxTransactionsPerBlock);
        Assert.True(Limits.MaxMempoolBytes >= Limits.MaxBlockBytes);
        Assert.True(Limits.MaxMempoolBytes >= Limits.MaxTransactionBytes);
        Assert.True(Limits.MaxTransactionsPerRequest <= Limits.MaxMempoolTransactions);
        Assert.True(Limits.MaxTransactionsPerRequest <= Limits.MaxTransactionsPerBlock);
    }

    // Proves the key and signature limits cover both suites (standard P-256 and gm SM2).
    [Fact]
    public void KeyAndSignatureLimits_CoverEverySuite()
    {
        Assert.True(Limits.MaxPublicKeyBytes >= LargestSuitePublicKeyBytes);
        Assert.True(Limits.MaxSignatureBytes >= LargestSuiteSignatureBytes);
    }

    // Proves the whole validator set, stored as one state value, fits MaxStateValueBytes at MaxValidators validators
    // with the largest keys and longest names; and so does the largest account record.
    [Fact]
    public void MaxStateValueBytes_HoldsLargestValidatorSetAndAccount()
    {
        var validatorSet = new CanonicalWriter();
        validatorSet.WriteByte(1);
        validatorSet.WriteCount(Limits.MaxValidators);
        for (var i = 0; i < Limits.MaxValidators; i++)
        {
            validatorSet.WriteHash(Hash.Zero);
            validatorSet.WriteBytes(new byte[Limits.MaxPublicKeyBytes]);
            validatorSet.WriteUInt64(ulong.MaxValue);
            validatorSet.WriteString(new string('n', Limits.MaxNameBytes));
        }

        Assert.True(validatorSet.Length <= Limits.MaxStateValueBytes, $"validator set of {validatorSet.Length} bytes");

        var account = new CanonicalWriter();
        account.WriteByte(1);
        account.WriteBytes(new byte[Limits.MaxPublicKeyBytes]);
        account.WriteByte(1);
        account.WriteString(new string('n', Limits.MaxNameBytes));
        account.WriteUInt64(0);
        account.WriteUInt64(0);
        account.WriteBoolean(false);
        Assert.True(account.Length <= Limits.MaxStateValueBytes, $"account of {account.Length} bytes");
    }

    // Proves state keys ("acct/" or "anch/" followed by a hash, the "chain/" keys) fit MaxStateKeyBytes.
    [Fact]
    public void MaxStateKeyBytes_HoldsEveryKeyShape()
    {
        Assert.True(Limits.MaxStateKeyBytes >= "acct/".Length + Hash.Size);
        Assert.True(Limits.MaxStateKeyBytes >= "chain/validators".Length);
    }

    // Proves the expiry window is a meaningful, bounded number of blocks: positive, and small enough that adding it
    // to any height a chain can reach in centuries cannot overflow.
    [Fact]
    public void MaxExpiryWindowBlocks_IsPositiveAndFarFromOverflow()
    {
        Assert.True(Limits.MaxExpiryWindowBlocks > 0);
        Assert.True(Limits.MaxExpiryWindowBlocks < ulong.MaxValue / 2);
    }

    // Proves the genesis file can name MaxValidators validators with the longest names and largest keys (as JSON, hex
    // keys), and the key-file limit leaves room for a key file of the largest key.
    [Fact]
    public void GenesisAndKeyFileLimits_HoldTheirLargestContents()
    {
        var validatorJson = $"{{\"name\":\"{new string('n', Limits.MaxNameBytes)}\",\"publicKey\":\"{new string('0', 2 * Limits.MaxPublicKeyBytes)}\",\"power\":18446744073709551615}},";
        Assert.True((long)Limits.MaxValidators * validatorJson.Length * 2 <= Limits.MaxGenesisBytes);
        Assert.True(Limits.MaxKeyFileBytes >= 4 * (2 * Limits.MaxPublicKeyBytes + Base64Length(Limits.MaxPublicKeyBytes + 16)));
    }

    // Proves every limit is positive and every limit is documented in docs/limits.md, so the table cannot fall behind
    // the code.
    [Fact]
    public void EveryLimit_IsPositiveAndDocumented()
    {
        var constants = typeof(Limits).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral).ToList();
        Assert.NotEmpty(constants);
        var documentation = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "limits.md"));
        var undocumented = new List<string>();
        foreach (var constant in constants)
        {
            var value = Convert.ToDecimal(constant.GetRawConstantValue(), System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(value > 0, $"{constant.Name} = {value}");
            if (!documentation.Contains($"`{constant.Name}`", StringComparison.Ordinal))
            {
                undocumented.Add(constant.Name);
            }
        }

        Assert.True(undocumented.Count == 0, $"docs/limits.md does not describe: {string.Join(", ", undocumented)}");
    }

    /// <summary>Encoded size of a transaction (docs/encoding.md) with the given variable-field sizes.</summary>
    private static int TransactionBytes(int chainIdBytes, int payloadBytes, int signatureBytes)
    {
        var writer = new CanonicalWriter();
        writer.WriteByte(1);
        writer.WriteBytes(new byte[chainIdBytes]);
        writer.WriteUInt16(0);
        writer.WriteHash(Hash.Zero);
        writer.WriteUInt64(0);
        writer.WriteUInt64(0);
        writer.WriteBytes(new byte[payloadBytes]);
        writer.WriteBytes(new byte[signatureBytes]);
        return writer.Length;
    }

    private static int Base64Length(int bytes) => (bytes + 2) / 3 * 4;

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "MedLedger.slnx")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("MedLedger.slnx not found above the test assembly.");
    }
}
