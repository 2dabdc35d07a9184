using MedLedger.Consensus;
using MedLedger.Core;
using MedLedger.Ledger;

namespace MedLedger.Simulation.Tests;

/// <summary>
/// Freezes the consensus message encodings (docs/consensus.md, "Messages") and proves the decoder strict. Golden
/// expectations are written field by field from the documented layout with fixed byte patterns (ECDSA signatures are
/// randomised and cannot be frozen); they only ever grow: a format change is a new version, not an edited expectation.
/// </summary>
public sealed class ConsensusMessageCodecTests
{
    // "golden": 6 UTF-8 bytes.
    private const string ChainIdField = "00000006" + "676f6c64656e";

    private static readonly string HeaderField = string.Concat(
        "000000bf",                             // header: u32 length 191, then BlockHeader.Encode()
        "01",                                   // header version 1
        ChainIdField,                           // chain id
        "0000000000000007",                     // height 7
        "0000018bcfe56800",                     // time 1,700,000,000,000 ms
        Hex.Repeat("01", 32),                   // previous block hash
        Hex.Repeat("02", 32),                   // transactions root
        Hex.Repeat("03", 32),                   // state root
        Hex.Repeat("04", 32),                   // proposer
        Hex.Repeat("05", 32),                   // validator-set hash
        "00000000");                            // transaction count 0

    private static BlockHeader Header() =>
        new("golden", 7, 1_700_000_000_000, Hex.Filled(1), Hex.Filled(2), Hex.Filled(3), Hex.Filled(4), Hex.Filled(5), 0);

    private static SignedVote GoldenVote() =>
        new(Hex.Filled(0x11), VoteType.Precommit, 7, 2, Hex.Filled(0x22), Hex.FilledBytes(0xAB, 64));

    private static SignedProposal GoldenProposal(int proofOfLockRound) =>
        new(Hex.Filled(0x33), 7, 3, Hex.Filled(0x44), proofOfLockRound, Hex.FilledBytes(0xCD, 64));

    public static TheoryData<string> ValidEncodings =>
    [
        Hex.Of(ConsensusMessageCodec.Encode(new VoteMessage(GoldenVote()))),
        Hex.Of(ConsensusMessageCodec.Encode(new ProposalMessage(GoldenProposal(1), Header(), []))),
        Hex.Of(ConsensusMessageCodec.Encode(new CommitRequest(7))),
        Hex.Of(ConsensusMessageCodec.Encode(new CommitResponse(Header(), [], new CommitCertificate(7, 0, Hex.Filled(0x44), [new CommitSignature(Hex.Filled(0x55), Hex.FilledBytes(0x66, 64))])))),
    ];

    // Proves the vote message layout: type 2, version 1, validator, vote type, height, round, block hash, signature.
    [Fact]
    public void Vote_Encode_IsGolden()
    {
        var expected = string.Concat(
            "02",                               // message type: Vote
            "01",                               // message version 1
            Hex.Repeat("11", 32),               // validator key id
            "02",                               // vote type: Precommit
            "0000000000000007",                 // height
            "00000002",                         // round
            Hex.Repeat("22", 32),               // block hash
            "00000040" + Hex.Repeat("ab", 64)); // signature: u32 length 64 + bytes
        Assert.Equal(expected, Hex.Of(ConsensusMessageCodec.Encode(new VoteMessage(GoldenVote()))));
        var decoded = Assert.IsType<VoteMessage>(ConsensusMessageCodec.Decode(Hex.Bytes(expected)));
        Assert.Equal(GoldenVote() with { Signature = decoded.Vote.Signature }, decoded.Vote);
        Assert.Equal(GoldenVote().Signature, decoded.Vote.Signature);
    }

    // Proves the proposal message layout, with and without a proof-of-lock round, followed by the proposed block.
    [Theory]
    [InlineData(-1, "00")]
    [InlineData(1, "01" + "00000001")]
    public void Proposal_Encode_IsGolden(int proofOfLockRound, string proofOfLockField)
    {
        var expected = string.Concat(
            "01",                               // message type: Proposal
            "01",                               // message version 1
            Hex.Repeat("33", 32),               // proposer key id
            "0000000000000007",                 // height
            "00000003",                         // round
            Hex.Repeat("44", 32),               // block hash
            proofOfLockField,                   // POL: bool present, then u32 round when present
            "00000040" + Hex.Repeat("cd", 64),  // signature
            HeaderField,                        // the block: header bytes
            "00000000");                        // transactions: u32 count, then u32 length + bytes each
        Assert.Equal(expected, Hex.Of(ConsensusMessageCodec.Encode(new ProposalMessage(GoldenProposal(proofOfLockRound), Header(), []))));
        var decoded = Assert.IsType<ProposalMessage>(ConsensusMessageCodec.Decode(Hex.Bytes(expected)));
        Assert.Equal(proofOfLockRound, decoded.Proposal.ProofOfLockRound);
        Assert.Equal(Header(), decoded.Header);
        Assert.Empty(decoded.Transactions);
    }

    // Proves the block-sync messages: a request names a height; a response carries header, transactions, certificate.
    [Fact]
    public void CommitRequestAndResponse_Encode_AreGolden()
    {
        Assert.Equal("03" + "01" + "0000000000000007", Hex.Of(ConsensusMessageCodec.Encode(new CommitRequest(7))));
        Assert.Equal(7UL, Assert.IsType<CommitRequest>(ConsensusMessageCodec.Decode(Hex.Bytes("0301" + "0000000000000007"))).Height);

        var certificate = new CommitCertificate(7, 0, Hex.Filled(0x44), [new CommitSignature(Hex.Filled(0x55), Hex.FilledBytes(0x66, 64))]);
        var expected = string.Concat(
            "04",                               // message type: CommitResponse
            "01",                               // message version 1
            HeaderField,
            "00000000",                         // no transactions
            "00000095",                         // certificate: u32 length 149, then CommitCertificate.Encode()
            "01",                               // certificate version 1
            "0000000000000007",                 // height
            "00000000",                         // round
            Hex.Repeat("44", 32),               // block hash
            "00000001",                         // one signature
            Hex.Repeat("55", 32),               // validator
            "00000040" + Hex.Repeat("66", 64)); // signature
        Assert.Equal(expected, Hex.Of(ConsensusMessageCodec.Encode(new CommitResponse(Header(), [], certificate))));
        var decoded = Assert.IsType<CommitResponse>(ConsensusMessageCodec.Decode(Hex.Bytes(expected)));
        Assert.Equal(certificate.Encode(), decoded.Certificate.Encode());
    }

    // Proves the proposal signing bytes: a domain tag distinct from the vote's, chain id, height, round, block, POL.
    [Fact]
    public void Proposal_EncodeSigningBytes_IsGolden()
    {
        var expected = string.Concat(
            "4d65644c65646765722f70726f706f73616c2f763100", // "MedLedger/proposal/v1" + NUL
            ChainIdField,
            "0000000000000007",
            "00000003",
            Hex.Repeat("44", 32),
            "01" + "00000002");
        Assert.Equal(expected, Hex.Of(Proposal.EncodeSigningBytes("golden", 7, 3, Hex.Filled(0x44), 2)));
        Assert.EndsWith(Hex.Repeat("44", 32) + "00", Hex.Of(Proposal.EncodeSigningBytes("golden", 7, 3, Hex.Filled(0x44), -1)), StringComparison.Ordinal);
    }

    // Proves real blocks round-trip: a proposal and a commit response with signed transactions decode to equal bytes.
    [Fact]
    public void ProposalWithTransactions_RoundTrips()
    {
        var transactions = SimulationChain.Transactions.Take(5).ToList();
        var header = Header() with { TransactionCount = 5 };
        var encoded = ConsensusMessageCodec.Encode(new ProposalMessage(GoldenProposal(-1), header, transactions));
        var decoded = Assert.IsType<ProposalMessage>(ConsensusMessageCodec.Decode(encoded));
        Assert.Equal(transactions.Select(t => Hex.Of(t.Encoded.Span)), decoded.Transactions.Select(t => Hex.Of(t.Encoded.Span)));
        Assert.Equal(encoded, ConsensusMessageCodec.Encode(decoded));
    }

    // Proves every strict prefix of every valid message is refused with a DecodingException (never another exception).
    [Theory]
    [MemberData(nameof(ValidEncodings))]
    public void Decode_TruncatedInput_Throws(string hex)
    {
        var bytes = Hex.Bytes(hex);
        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.Throws<DecodingException>(() => ConsensusMessageCodec.Decode(bytes.AsSpan(0, length)));
        }
    }

    // Proves one trailing byte after any valid message is refused.
    [Theory]
    [MemberData(nameof(ValidEncodings))]
    public void Decode_TrailingByte_Throws(string hex) =>
        Assert.Throws<DecodingException>(() => ConsensusMessageCodec.Decode(Hex.Bytes(hex + "00")));

    // Proves oversized inputs are refused before any parsing: beyond the message limit, and a vote beyond the vote limit.
    [Fact]
    public void Decode_OversizedInput_Throws()
    {
        var huge = new byte[ConsensusMessageCodec.MaxMessageBytes + 1];
        huge[0] = (byte)ConsensusMessageType.Proposal;
        huge[1] = ConsensusMessageCodec.CurrentVersion;
        Assert.Contains("exceeds the limit", Assert.Throws<DecodingException>(() => ConsensusMessageCodec.Decode(huge)).Message, StringComparison.Ordinal);

        var vote = new byte[ConsensusMessageCodec.MaxVoteBytes + 1];
        vote[0] = (byte)ConsensusMessageType.Vote;
        Assert.Contains("vote message", Assert.Throws<DecodingException>(() => ConsensusMessageCodec.Decode(vote)).Message, StringComparison.Ordinal);
    }

    // Proves malformed fields are refused: unknown type and version, unknown vote type, a proof-of-lock round not before
    // the round, a non-canonical boolean, an over-long signature, a header whose count disagrees with the transactions,
    // and a certificate for another height than its block.
    [Theory]
    [InlineData("0901", "unknown type")]
    [InlineData("0202", "unknown version")]
    [InlineData("vote-type", "unknown vote type")]
    [InlineData("pol-equal", "POL = round")]
    [InlineData("pol-flag", "boolean 2")]
    [InlineData("long-signature", "signature over the limit")]
    [InlineData("count-mismatch", "header count")]
    [InlineData("certificate-height", "certificate height")]
    public void Decode_MalformedField_Throws(string variant, string because)
    {
        var vote = Hex.Of(ConsensusMessageCodec.Encode(new VoteMessage(GoldenVote())));
        var proposal = Hex.Of(ConsensusMessageCodec.Encode(new ProposalMessage(GoldenProposal(1), Header(), [])));
        var hex = variant switch
        {
            "vote-type" => vote[..(4 + 64)] + "03" + vote[(4 + 64 + 2)..],
            "pol-equal" => proposal.Replace("01" + "00000001" + "00000040", "01" + "00000003" + "00000040", StringComparison.Ordinal),
            "pol-flag" => proposal.Replace("01" + "00000001" + "00000040", "02" + "00000001" + "00000040", StringComparison.Ordinal),
            "long-signature" => Hex.Of(ConsensusMessageCodec.Encode(new VoteMessage(GoldenVote() with { Signature = new byte[Limits.MaxSignatureBytes + 1] })))[..^2],
            "count-mismatch" => Hex.Of(ConsensusMessageCodec.Encode(new ProposalMessage(GoldenProposal(1), Header() with { TransactionCount = 1 }, []))),
            "certificate-height" => Hex.Of(ConsensusMessageCodec.Encode(new CommitResponse(Header(), [], new CommitCertificate(8, 0, Hex.Filled(0x44), [])))),
            _ => variant,
        };
        Assert.NotEqual(vote, hex);
        Assert.True(Assert.Throws<DecodingException>(() => ConsensusMessageCodec.Decode(Hex.Bytes(hex))).Message.Length > 0, because);
    }
}
