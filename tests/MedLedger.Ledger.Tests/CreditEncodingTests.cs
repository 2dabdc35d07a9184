using System.Security.Cryptography;
using MedLedger.Core;
using MedLedger.Crypto;
using static MedLedger.Ledger.Tests.TestHex;

namespace MedLedger.Ledger.Tests;

/// <summary>
/// Golden tests of the credit encodings (docs/encoding.md, "Credit"), written field by field from the documented layout,
/// and the power rule. Like <see cref="GoldenEncodingTests"/> they only ever grow.
/// </summary>
public sealed class CreditEncodingTests
{
    private const string ChainIdField = "00000010" + "6d65646c65646765722d676f6c64656e";
    private static readonly ICryptoSuite Suite = CryptoSuites.Standard;

    // The default parameters, field by field.
    private static readonly string DefaultParameters = string.Concat(
        "0000000000000064",   // epoch length 100
        "00000010",           // max validators 16
        "00000000000003e8",   // initial credit 1000
        "000000000000000a",   // proposer reward 10
        "0000000000000002",   // vote reward 2
        "0000000000000001",   // missed-vote penalty 1
        "0000000000000001",   // data reward 1
        "00000005",           // data rewards per organisation and block 5
        "00000032",           // double-vote penalty 50 %
        "0000000000000001",   // jail 1 epoch
        "0000000000000064");  // evidence window 100 blocks

    // Proves genesis version 3: version 2's layout (accounts with their organisation, organisations, policies) under
    // version byte 3, followed by the credit parameters; and that the hash is its SHA-256.
    [Fact]
    public void GenesisDocument_Version3_IsGolden()
    {
        var expected = string.Concat(
            "03",                                   // genesis encoding version 3
            ChainIdField,
            "00000008" + "7374616e64617264",        // suite: "standard"
            "0000018bcfe56800",                     // genesis time
            "00000001",                             // validator count
            "00000006" + "6e6f64652d61",            // "node-a"
            "00000041" + "04" + Repeat("c1", 64),
            "000000000000000a",                     // power 10
            "00000002",                             // account count
            "00000007" + "61646d696e2d61",          // "admin-a"
            "00000041" + "04" + Repeat("c1", 64),
            "01",                                   // Administrator
            "00000000",                             // organisation ""
            "00000008" + "6d656d6265722d62",        // "member-b"
            "00000041" + "04" + Repeat("c2", 64),
            "02",                                   // Member
            "00000000",                             // organisation ""
            "00000000",                             // organisation count
            "00000004" + "00000000",                // policy list (bytes of an empty list)
            DefaultParameters);
        var genesis = GoldenEncodingTests.GoldenGenesis() with { Credit = CreditParameters.Default };
        Assert.Equal(expected, Of(genesis.Encode()));
        Assert.Equal(Of(SHA256.HashData(Bytes(expected))), genesis.ComputeHash(Suite).ToString());
        Assert.Equal(1, GoldenEncodingTests.GoldenGenesis().Encode()[0]);
    }

    // Proves the credit state values and the evidence payload byte by byte.
    [Fact]
    public void CreditValues_Encode_AreGolden()
    {
        Assert.Equal(
            string.Concat("01", "00000000000003e8", "00000001" + "61", "0000000000000002", "0000000000000003", "0000000000000004", "0000000000000005", "0000000000000006", "00000007"),
            Of(new CreditRecord(1_000, "a", 2, 3, 4, 5, 6, 7).Encode()));
        Assert.Equal(string.Concat("01", "0000000000000002", "00000000000000c9", "000000000000012c"), Of(new EpochState(2, 201, 300).Encode()));
        Assert.Equal(string.Concat("00000002", "0000000000000001", "0000000000000065"), Of(HeightList.Encode([1, 101])));
        Assert.Equal(
            string.Concat(Repeat("11", 32), "01", "0000000000000007", "00000002", Repeat("aa", 32), "00000002" + "5a5a", Repeat("bb", 32), "00000002" + "5b5b"),
            Of(new DoubleVoteEvidencePayload(Filled(0x11), VoteType.Prevote, 7, 2, Filled(0xAA), [0x5a, 0x5a], Filled(0xBB), [0x5b, 0x5b]).Encode()));
        Assert.Equal("6372656469742f" + Repeat("11", 32), Of(StateKeys.Credit(Filled(0x11))));       // "credit/"
        Assert.Equal("636861696e2f6e6f646573", Of(StateKeys.CreditNodes()));                       // "chain/nodes"
        Assert.Equal("636861696e2f65706f6368", Of(StateKeys.Epoch()));                             // "chain/epoch"
        Assert.Equal("636861696e2f7265706f72746564", Of(StateKeys.LastReportedHeight()));          // "chain/reported"
        Assert.Equal("636861696e2f7673657473", Of(StateKeys.ValidatorHistory()));                  // "chain/vsets"
        Assert.Equal("767365742f" + "0000000000000065", Of(StateKeys.ValidatorSetSince(101)));     // "vset/" + u64
        Assert.Equal("6f6666656e63652f" + Repeat("22", 32), Of(StateKeys.Offence(Filled(0x22))));  // "offence/"
    }

    // Proves the commit report envelope: type 13, zero sender, nonce and expiry the block height, the certificate as
    // payload, an empty signature.
    [Fact]
    public void CommitReport_Envelope_IsGolden()
    {
        var certificate = new CommitCertificate(6, 1, Filled(0xAA), []);
        var report = CreditTransactions.CommitReport("medledger-golden", 7, certificate);
        var payload = Of(certificate.Encode());
        Assert.Equal(
            string.Concat("01", ChainIdField, "000d", Repeat("00", 32), "0000000000000007", "0000000000000007", (payload.Length / 2).ToString("x8", System.Globalization.CultureInfo.InvariantCulture) + payload, "00000000"),
            Of(report.Encoded.Span));
        Assert.Equal(report.Encoded.ToArray(), Transaction.Decode(report.Encoded.Span).Encoded.ToArray());
    }

    // Proves decoders refuse malformed credit values: unknown versions, trailing bytes, unsorted height lists.
    [Fact]
    public void CreditValues_Malformed_Refused()
    {
        var record = new CreditRecord(1, "a", 0, 0, 0, 0, 0, 0).Encode();
        record[0] = 2;
        Assert.Throws<DecodingException>(() => CreditRecord.Decode(record));
        Assert.Throws<DecodingException>(() => EpochState.Decode([.. new EpochState(1, 2, 3).Encode(), 0]));
        Assert.Throws<DecodingException>(() => HeightList.Decode(HeightList.Encode([5, 5]), 10));
        Assert.Throws<DecodingException>(() => HeightList.Decode(HeightList.Encode([1, 2, 3]), 2));
        Assert.Throws<DecodingException>(() => DoubleVoteEvidencePayload.Decode(new byte[10]));
    }

    // Proves the power rule on fixed cases: fewer than four validators get power 1; close scores keep their scores; one
    // dominant score is capped below a third of the total.
    [Fact]
    public void ComputePowers_FixedCases()
    {
        Assert.Equal([1UL, 1UL, 1UL], LedgerStateMachine.ComputePowers([5_000, 10, 0]));
        Assert.Equal([1_034UL, 1_004UL, 1_004UL, 1_000UL], LedgerStateMachine.ComputePowers([1_034, 1_004, 1_004, 1_000]));
        var capped = LedgerStateMachine.ComputePowers([100_000, 1_000, 1_000, 1_000]);
        Assert.Equal([1_000UL, 1_000UL, 1_000UL], capped[1..]);
        Assert.Equal(1_499UL, capped[0]);   // 3 · 1499 = 4497 < 4499; 3 · 1500 = 4500 is not below 4500
        Assert.Equal([1UL, 1UL, 1UL, 1UL], LedgerStateMachine.ComputePowers([0, 0, 0, 0]));
    }

    // Proves the power rule's properties on seeded random score lists of 4..128 validators: no power reaches a third of
    // the total, no power exceeds its score (at least 1), and a higher score never gets less power.
    [Fact]
    public void ComputePowers_SeededRandom_NoValidatorReachesAThird()
    {
        const int seed = 4_2024;
        var random = new Random(seed);
        for (var run = 0; run < 500; run++)
        {
            var count = random.Next(4, 129);
            var scores = Enumerable.Range(0, count).Select(_ => random.Next(4) == 0 ? (ulong)random.NextInt64(1_000_000_000) : (ulong)random.Next(2_000)).ToArray();
            var powers = LedgerStateMachine.ComputePowers(scores);
            var total = powers.Aggregate(UInt128.Zero, (sum, p) => sum + p);
            for (var i = 0; i < count; i++)
            {
                Assert.True((UInt128)powers[i] * 3 < total, $"seed {seed}, run {run}: power {powers[i]} of {total}");
                Assert.InRange(powers[i], 1UL, Math.Max(scores[i], 1UL));
            }

            var byScore = Enumerable.Range(0, count).OrderBy(i => scores[i]).ToArray();
            for (var k = 1; k < count; k++)
            {
                Assert.True(powers[byScore[k]] >= powers[byScore[k - 1]], $"seed {seed}, run {run}: a higher score got less power");
            }
        }
    }
}
