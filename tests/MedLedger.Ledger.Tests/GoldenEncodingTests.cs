using System.Security.Cryptography;
using MedLedger.Core;
using MedLedger.Crypto;
using static MedLedger.Ledger.Tests.TestHex;

namespace MedLedger.Ledger.Tests;

/// <summary>
/// Golden tests that freeze every ledger encoding (STYLE.md, "Formats are frozen by tests"; docs/encoding.md). Each
/// expectation is written field by field from the documented layout, and was checked by hand against it, so these
/// tests encode the specification rather than whatever the code emits. They only ever grow: a format change is a new
/// version with new golden tests, never an edited expectation.
/// Inputs are fixed byte patterns (a hash of 0x11 bytes, a 64-byte signature of 0x5a bytes...) because real ECDSA
/// signatures are randomised and cannot be frozen.
/// </summary>
public sealed class GoldenEncodingTests
{
    // "medledger-golden": 16 UTF-8 bytes.
    private const string ChainIdField = "00000010" + "6d65646c65646765722d676f6c64656e";

    // A 65-byte public-key-shaped field (0x04 then 64 bytes); the encodings do not validate points.
    private static readonly byte[] PublicKeyC1 = Bytes("04" + Repeat("c1", 64));
    private static readonly byte[] PublicKeyC2 = Bytes("04" + Repeat("c2", 64));

    private static readonly ICryptoSuite Suite = CryptoSuites.Standard;

    internal static Transaction GoldenTransaction() => Transaction.FromParts(
        "medledger-golden",
        TransactionType.CommitmentAnchor,
        Filled(0x11),
        nonce: 7,
        expiryHeight: 1000,
        payload: new CommitmentAnchorPayload(Filled(0xAA)).Encode(),
        signature: FilledBytes(0x5A, 64));

    internal static BlockHeader GoldenHeader() => new(
        "medledger-golden",
        Height: 5,
        TimeUnixMilliseconds: 1_700_000_000_000,
        PreviousBlockHash: Filled(0x01),
        TransactionsRoot: Filled(0x02),
        StateRoot: Filled(0x03),
        Proposer: Filled(0x04),
        ValidatorSetHash: Filled(0x05),
        TransactionCount: 3);

    // Given out of key-id order on purpose: the encoding sorts signatures by validator key id.
    internal static CommitCertificate GoldenCertificate() => new(
        Height: 5,
        Round: 2,
        BlockHash: Filled(0x0B),
        Signatures: [new CommitSignature(Filled(0x22), FilledBytes(0x62, 64)), new CommitSignature(Filled(0x21), FilledBytes(0x61, 64))]);

    // Given out of key-id order on purpose: a validator set is sorted by key id.
    internal static ValidatorSet GoldenValidatorSet() => new(
    [
        new Validator(Filled(0x32), PublicKeyC2, 20, "beta"),
        new Validator(Filled(0x31), PublicKeyC1, 10, "alpha"),
    ]);

    internal static Account GoldenAccount() => new(PublicKeyC1, AccountRole.Member, "alice", Nonce: 9, RegisteredHeight: 3, Revoked: true);

    internal static AccountRegisterPayload GoldenRegisterPayload() => new(PublicKeyC1, AccountRole.Administrator, "alice");

    internal static GenesisDocument GoldenGenesis() => new(
        "medledger-golden",
        "standard",
        1_700_000_000_000,
        [new GenesisValidator("node-a", Of(PublicKeyC1), 10)],
        [new GenesisAccount("admin-a", Of(PublicKeyC1), AccountRole.Administrator), new GenesisAccount("member-b", Of(PublicKeyC2), AccountRole.Member)]);

    private static readonly string TransactionUnsignedFields = string.Concat(
        "01",                                   // envelope version 1
        ChainIdField,                           // chain id: u32 length + UTF-8
        "0002",                                 // type: u16, CommitmentAnchor = 2
        Repeat("11", 32),                       // sender key id: 32 raw bytes
        "0000000000000007",                     // nonce: u64
        "00000000000003e8",                     // expiry height: u64, 1000
        "00000020" + Repeat("aa", 32));         // payload: u32 length 32 + the anchor payload (the commitment)

    // Proves the transaction envelope layout: version, chain id, type, sender, nonce, expiry, payload, signature.
    [Fact]
    public void Transaction_Encode_IsGolden()
    {
        var expected = TransactionUnsignedFields
            + "00000040" + Repeat("5a", 64);    // signature: u32 length 64 + the signature bytes
        var transaction = GoldenTransaction();
        Assert.Equal(expected, Of(transaction.Encoded.Span));
        Assert.Equal(expected.Length / 2, transaction.EncodedLength);
        Assert.Equal(expected, Of(Transaction.Decode(Bytes(expected)).Encoded.Span));
    }

    // Proves the signed bytes are the domain tag "MedLedger/transaction/v1\0" followed by every field but the signature.
    [Fact]
    public void Transaction_EncodeSigningBytes_IsGolden()
    {
        var expected = "4d65644c65646765722f7472616e73616374696f6e2f763100" // "MedLedger/transaction/v1" + NUL, raw
            + TransactionUnsignedFields;
        Assert.Equal(expected, Of(GoldenTransaction().EncodeSigningBytes()));
    }

    // Proves the transaction id is SHA-256 of the whole encoding, signature included (checked independently of the
    // suite), and freezes its value.
    [Fact]
    public void Transaction_ComputeId_IsSha256OfEncoding()
    {
        var transaction = GoldenTransaction();
        var id = transaction.ComputeId(Suite);
        Assert.Equal(Of(SHA256.HashData(transaction.Encoded.Span)), id.ToString());
        Assert.Equal("4155d9d59dda77c92b1544c310eb6b6d122988b609515504127743cb3ae9d1ec", id.ToString());
    }

    // Proves the block header layout: version, chain id, height, time, previous hash, transactions root, state root,
    // proposer, validator-set hash, transaction count.
    [Fact]
    public void BlockHeader_Encode_IsGolden()
    {
        var expected = string.Concat(
            "01",                               // header version 1
            ChainIdField,                       // chain id
            "0000000000000005",                 // height: u64
            "0000018bcfe56800",                 // time: i64 Unix milliseconds, 1,700,000,000,000
            Repeat("01", 32),                   // previous block hash
            Repeat("02", 32),                   // transactions root
            Repeat("03", 32),                   // state root
            Repeat("04", 32),                   // proposer key id
            Repeat("05", 32),                   // validator-set hash
            "00000003");                        // transaction count: u32
        Assert.Equal(expected, Of(GoldenHeader().Encode()));
        Assert.Equal(GoldenHeader(), BlockHeader.Decode(Bytes(expected)));
    }

    // Proves the block hash is SHA-256 of the header encoding, and freezes its value.
    [Fact]
    public void BlockHeader_ComputeHash_IsSha256OfEncoding()
    {
        var header = GoldenHeader();
        Assert.Equal(Of(SHA256.HashData(header.Encode())), header.ComputeHash(Suite).ToString());
        Assert.Equal("e5b4686d508cce5f124bc935be52a7c87ef22c77a83c095b319e2d31bd57bdf4", header.ComputeHash(Suite).ToString());
    }

    // Proves the commit certificate layout, with signatures sorted by validator key id whatever their given order.
    [Fact]
    public void CommitCertificate_Encode_IsGolden()
    {
        var expected = string.Concat(
            "01",                               // certificate version 1
            "0000000000000005",                 // height: u64
            "00000002",                         // round: u32
            Repeat("0b", 32),                   // block hash
            "00000002",                         // signature count: u32
            Repeat("21", 32),                   // validator key id (smallest first)
            "00000040" + Repeat("61", 64),      // its signature: u32 length + bytes
            Repeat("22", 32),
            "00000040" + Repeat("62", 64));
        Assert.Equal(expected, Of(GoldenCertificate().Encode()));
        Assert.Equal(expected, Of(CommitCertificate.Decode(Bytes(expected)).Encode()));
    }

    // Proves the validator set layout, sorted by key id: version, count, then key id, public key, power, name.
    [Fact]
    public void ValidatorSet_Encode_IsGolden()
    {
        var expected = string.Concat(
            "01",                               // validator set version 1
            "00000002",                         // count: u32
            Repeat("31", 32),                   // key id (smallest first)
            "00000041" + "04" + Repeat("c1", 64), // public key: u32 length 65 + bytes
            "000000000000000a",                 // power: u64, 10
            "00000005" + "616c706861",          // name: "alpha"
            Repeat("32", 32),
            "00000041" + "04" + Repeat("c2", 64),
            "0000000000000014",                 // power 20
            "00000004" + "62657461");           // "beta"
        Assert.Equal(expected, Of(GoldenValidatorSet().Encode()));
        Assert.Equal(expected, Of(ValidatorSet.Decode(Bytes(expected)).Encode()));
        Assert.Equal(Of(SHA256.HashData(Bytes(expected))), GoldenValidatorSet().ComputeHash(Suite).ToString());
    }

    // Proves vote signing bytes: domain tag "MedLedger/vote/v1\0", chain id, type, height, round, block hash; for both
    // vote types and for a nil vote (zero hash).
    [Fact]
    public void Vote_EncodeSigningBytes_IsGolden()
    {
        const string Domain = "4d65644c65646765722f766f74652f763100"; // "MedLedger/vote/v1" + NUL, raw
        var precommit = Domain + ChainIdField
            + "02"                              // type: u8, Precommit = 2
            + "0000000000000005"                // height: u64
            + "00000002"                        // round: u32
            + Repeat("0b", 32);                 // block hash
        Assert.Equal(precommit, Of(Vote.EncodeSigningBytes("medledger-golden", VoteType.Precommit, 5, 2, Filled(0x0B))));

        var nilPrevote = Domain + ChainIdField + "01" + "0000000000000005" + "00000000" + Repeat("00", 32);
        Assert.Equal(nilPrevote, Of(Vote.EncodeSigningBytes("medledger-golden", VoteType.Prevote, 5, 0, Hash.Zero)));
    }

    // Proves the account state value layout: version, public key, role, name, nonce, registered height, revoked.
    [Fact]
    public void Account_Encode_IsGolden()
    {
        var expected = string.Concat(
            "01",                               // account version 1
            "00000041" + "04" + Repeat("c1", 64), // public key
            "02",                               // role: u8, Member = 2
            "00000005" + "616c696365",          // name: "alice"
            "0000000000000009",                 // nonce: u64
            "0000000000000003",                 // registered height: u64
            "01");                              // revoked: boolean
        Assert.Equal(expected, Of(GoldenAccount().Encode()));
        Assert.Equal(expected, Of(Account.Decode(Bytes(expected)).Encode()));
    }

    // Proves the AccountRegister payload layout: public key, role, name (no version byte: payloads are versioned by
    // the envelope version and their transaction type).
    [Fact]
    public void AccountRegisterPayload_Encode_IsGolden()
    {
        var expected = string.Concat(
            "00000041" + "04" + Repeat("c1", 64), // public key
            "01",                               // role: Administrator = 1
            "00000005" + "616c696365");         // name: "alice"
        Assert.Equal(expected, Of(GoldenRegisterPayload().Encode()));
        Assert.Equal(expected, Of(AccountRegisterPayload.Decode(Bytes(expected)).Encode()));
    }

    // Proves the AccountRevoke and CommitmentAnchor payloads are each just the 32 raw bytes of a hash.
    [Fact]
    public void HashPayloads_Encode_AreGolden()
    {
        Assert.Equal(Repeat("44", 32), Of(new AccountRevokePayload(Filled(0x44)).Encode()));
        Assert.Equal(Repeat("aa", 32), Of(new CommitmentAnchorPayload(Filled(0xAA)).Encode()));
        Assert.Equal(Filled(0x44), AccountRevokePayload.Decode(Bytes(Repeat("44", 32))).Account);
        Assert.Equal(Filled(0xAA), CommitmentAnchorPayload.Decode(Bytes(Repeat("aa", 32))).Commitment);
    }

    // Proves the anchor record state value layout: version, sender key id, height.
    [Fact]
    public void AnchorRecord_Encode_IsGolden()
    {
        var expected = "01"                     // anchor record version 1
            + Repeat("11", 32)                  // sender key id
            + "000000000000000c";               // height: u64, 12
        Assert.Equal(expected, Of(new AnchorRecord(Filled(0x11), 12).Encode()));
        Assert.Equal(new AnchorRecord(Filled(0x11), 12), AnchorRecord.Decode(Bytes(expected)));
    }

    // Proves the genesis hash input: version, chain id, suite, time, validators (name, public key bytes, power) in
    // document order, accounts (name, public key bytes, role) in document order; and that the hash is its SHA-256.
    [Fact]
    public void GenesisDocument_Encode_IsGolden()
    {
        var expected = string.Concat(
            "01",                               // genesis encoding version 1
            ChainIdField,                       // chain id
            "00000008" + "7374616e64617264",    // suite: "standard"
            "0000018bcfe56800",                 // genesis time: i64 Unix milliseconds
            "00000001",                         // validator count
            "00000006" + "6e6f64652d61",        // name: "node-a"
            "00000041" + "04" + Repeat("c1", 64), // public key (hex in JSON, bytes here)
            "000000000000000a",                 // power 10
            "00000002",                         // account count
            "00000007" + "61646d696e2d61",      // name: "admin-a"
            "00000041" + "04" + Repeat("c1", 64),
            "01",                               // role: Administrator
            "00000008" + "6d656d6265722d62",    // name: "member-b"
            "00000041" + "04" + Repeat("c2", 64),
            "02");                              // role: Member
        var genesis = GoldenGenesis();
        Assert.Equal(expected, Of(genesis.Encode()));
        Assert.Equal(Of(SHA256.HashData(Bytes(expected))), genesis.ComputeHash(Suite).ToString());
    }

    // Proves the state key layout: "acct/" or "anch/" followed by the 32 raw bytes of the id, and the two chain keys.
    [Fact]
    public void StateKeys_Prefixes_AreGolden()
    {
        Assert.Equal("616363742f" + Repeat("11", 32), Of(StateKeys.Account(Filled(0x11))));         // "acct/" + key id
        Assert.Equal("616e63682f" + Repeat("aa", 32), Of(StateKeys.Anchor(Filled(0xAA))));          // "anch/" + commitment
        Assert.Equal("636861696e2f76616c696461746f7273", Of(StateKeys.Validators()));               // "chain/validators"
        Assert.Equal("636861696e2f67656e65736973", Of(StateKeys.GenesisHash()));                    // "chain/genesis"
    }
}
