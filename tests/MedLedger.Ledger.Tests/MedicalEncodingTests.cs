using MedLedger.Core;
using static MedLedger.Ledger.Tests.TestHex;

namespace MedLedger.Ledger.Tests;

/// <summary>
/// The encodings of the medical modules: golden bytes for one instance of each payload and state record, written
/// field by field from the Encode methods and checked by hand (u32 big-endian lengths and counts, u64/i64
/// big-endian numbers, raw 32-byte hashes, one-byte enums), then frozen; and strict decoding of each (truncation at
/// every point, trailing bytes, unknown versions, seeded mutations that must fail cleanly or round-trip exactly).
/// </summary>
public sealed class MedicalEncodingTests
{
    private const int Seed = 2_000_003;

    private const string ChainIdField = "00000010" + "6d65646c65646765722d676f6c64656e"; // "medledger-golden"
    private const string KeyC1 = "00000041" + "04" + "c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1";
    private const string KeyC2 = "00000041" + "04" + "c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2";
    private const string Time = "0000018bcfe56800";   // 1,700,000,000,000
    private const string Until = "0000018bcfee8fc0";  // 1,700,000,600,000

    private static readonly byte[] PublicKeyC1 = Bytes("04" + Repeat("c1", 64));
    private static readonly byte[] PublicKeyC2 = Bytes("04" + Repeat("c2", 64));

    // ---- golden instances

    internal static UserRegisterPayload GoldenUserRegister() => new(PublicKeyC1, AccountRole.Doctor, "hosp", "Dr A");

    internal static KeyRotatePayload GoldenKeyRotate() => new(PublicKeyC2, FilledBytes(0x5A, 64));

    internal static Organisation GoldenOrganisation() => new("lab-e", "Lab E", OrganisationKind.Clinic, "district", PublicKeyC1, "https://x", OrganisationStatus.Active, 7);

    internal static OrganisationProposePayload GoldenPropose() => new(MembershipAction.Admit, GoldenOrganisation() with { Status = OrganisationStatus.None, AdmittedHeight = 0 }, PublicKeyC2, "boss");

    internal static MembershipProposal GoldenProposal() => new(Filled(0x66), GoldenPropose(), "clinic-b", ["clinic-b", "hospital-a"], 1_700_000_000_000, ProposalStatus.Open);

    internal static RecordAnchorPayload GoldenRecordAnchor() => new(
        Filled(0x21),
        Filled(0x22),
        Filled(0x23),
        "hosp",
        RecordCategory.Laboratory,
        1_700_000_000_000,
        [new RecordTierAnchor(SensitivityTier.GeneralClinical, Filled(0x31), Filled(0x32), 1024), new RecordTierAnchor(SensitivityTier.Sensitive, Filled(0x33), Filled(0x34), 2048)],
        FilledBytes(0x5A, 64),
        WriteAuthorisation.PatientSignature,
        Filled(0x24),
        FilledBytes(0x5B, 64),
        Hash.Zero);

    internal static RecordEntry GoldenRecordEntry()
    {
        var anchor = GoldenRecordAnchor();
        return new RecordEntry(anchor.RecordId, anchor.Patient, anchor.Author, Filled(0x25), anchor.Organisation, anchor.Category, anchor.CreatedUnixMilliseconds, anchor.Tiers, WriteAuthorisation.Grant, Filled(0x26), 9, RecordStatus.Erased, 12);
    }

    internal static ConsentGrantPayload GoldenGrantTerms() => new(
        Filled(0x22),
        GrantActor.ForUser(Filled(0x41)),
        GrantActions.Read | GrantActions.Append,
        AccessPurpose.Treatment,
        [RecordCategory.Laboratory, RecordCategory.Imaging],
        [SensitivityTier.GeneralClinical],
        [Filled(0x51)],
        1_700_000_000_000,
        1_700_000_600_000);

    internal static Grant GoldenGrant() => new(Filled(0x42), GoldenGrantTerms() with { Actor = GrantActor.ForOrganisation("hosp"), Records = [] }, 5, 6, 1_700_000_600_000);

    internal static AccessLogPayload GoldenAccessLog() => new(
    [
        new AccessLogEntry(1_700_000_000_000, Filled(0x01), Filled(0x02), Filled(0x03), AccessAction.Read, AccessPurpose.Insurance, AccessOutcome.Denied, AccessDenialReason.GrantRevoked, Filled(0x04), Filled(0x05)),
    ]);

    internal static Account GoldenAccountV2() => new(PublicKeyC1, AccountRole.Doctor, "alice", 9, 3, false, "hosp", Filled(0x11), Filled(0x12));

    internal static List<PolicyRule> GoldenPolicy() =>
    [
        new(AccountRole.Researcher, AccessPurpose.Research, [RecordCategory.Laboratory, RecordCategory.Imaging], [SensitivityTier.GeneralClinical]),
        new(AccountRole.Auditor, AccessPurpose.Audit, [], [SensitivityTier.Identity, SensitivityTier.Sensitive]),
    ];

    // ---- golden bytes

    // Proves the UserRegister payload: public key, role, organisation, name (no version byte: payloads are
    // versioned by the envelope and their type).
    [Fact]
    public void UserRegisterPayload_Encode_IsGolden()
    {
        var expected = string.Concat(
            KeyC1,                          // public key: u32 length 65 + bytes
            "04",                           // role: Doctor = 4
            "00000004" + "686f7370",        // organisation "hosp"
            "00000004" + "44722041");       // name "Dr A"
        AssertGolden(expected, GoldenUserRegister().Encode(), b => UserRegisterPayload.Decode(b).Encode());
    }

    // Proves the KeyRotate payload (new key, proof) and the proof's signed bytes: domain
    // "MedLedger/key-rotation/v1\0" (raw), chain id, the key id it replaces.
    [Fact]
    public void KeyRotatePayload_Encode_IsGolden()
    {
        var expected = KeyC2 + "00000040" + Repeat("5a", 64); // new public key, proof signature: u32 length + bytes
        AssertGolden(expected, GoldenKeyRotate().Encode(), b => KeyRotatePayload.Decode(b).Encode());

        var proof = "4d65644c65646765722f6b65792d726f746174696f6e2f7631" + "00" // "MedLedger/key-rotation/v1" + NUL
            + ChainIdField
            + Repeat("11", 32);                                               // old key id
        Assert.Equal(proof, Of(KeyRotatePayload.EncodeProofBytes("medledger-golden", Filled(0x11))));
    }

    // Proves the organisation spec fields (id, name, kind, tier, encryption key, endpoint) inside the
    // OrganisationPropose payload: action first, then the spec, then the administrator's key and name.
    [Fact]
    public void OrganisationProposePayload_Encode_IsGolden()
    {
        var expected = string.Concat(
            "01",                                   // action: Admit = 1
            OrganisationSpec,
            KeyC2,                                  // administrator public key
            "00000004" + "626f7373");               // administrator name "boss"
        AssertGolden(expected, GoldenPropose().Encode(), b => OrganisationProposePayload.Decode(b).Encode());
    }

    // Proves the OrganisationVote payload is the 32 raw bytes of the proposal id, and so are the ConsentRevoke and
    // RecordErase payloads of their grant and record ids.
    [Fact]
    public void HashPayloads_Encode_AreGolden()
    {
        AssertGolden(Repeat("77", 32), new OrganisationVotePayload(Filled(0x77)).Encode(), b => OrganisationVotePayload.Decode(b).Encode());
        AssertGolden(Repeat("61", 32), new ConsentRevokePayload(Filled(0x61)).Encode(), b => ConsentRevokePayload.Decode(b).Encode());
        AssertGolden(Repeat("71", 32), new RecordErasePayload(Filled(0x71)).Encode(), b => RecordErasePayload.Decode(b).Encode());
    }

    // Proves the organisation state value: version, the spec fields, status, admitted height.
    [Fact]
    public void Organisation_Encode_IsGolden()
    {
        var expected = string.Concat(
            "01",                                   // organisation version 1
            OrganisationSpec,
            "01",                                   // status: Active = 1
            "0000000000000007");                    // admitted height: u64
        AssertGolden(expected, GoldenOrganisation().Encode(), b => Organisation.Decode(b).Encode());
    }

    // Proves the membership proposal state value: version, id, the proposal payload as length-prefixed bytes, the
    // proposer, the votes as a length-prefixed organisation list, expiry, status.
    [Fact]
    public void MembershipProposal_Encode_IsGolden()
    {
        var payload = "01" + OrganisationSpec + KeyC2 + "00000004" + "626f7373";
        var votes = "00000002" + "00000008" + "636c696e69632d62" + "0000000a" + "686f73706974616c2d61"; // ["clinic-b", "hospital-a"]
        var expected = string.Concat(
            "01",                                   // proposal version 1
            Repeat("66", 32),                       // proposal id
            "000000bf" + payload,                   // the payload: u32 length 191 + bytes
            "00000008" + "636c696e69632d62",        // proposed by "clinic-b"
            "0000001e" + votes,                     // votes: u32 length 30 + list
            Time,                                   // expires: i64 Unix milliseconds
            "01");                                  // status: Open = 1
        Assert.Equal(191, payload.Length / 2);
        AssertGolden(expected, GoldenProposal().Encode(), b => MembershipProposal.Decode(b).Encode());
    }

    // Proves the RecordAnchor payload: record id, patient, author, organisation, category, created time, tier count
    // and tiers (tier, content address, commitment, u32 size), author signature, authorisation, consent signer,
    // consent signature, grant id.
    [Fact]
    public void RecordAnchorPayload_Encode_IsGolden()
    {
        var expected = string.Concat(
            RecordBody,
            "00000040" + Repeat("5a", 64),          // author signature
            "01",                                   // authorisation: PatientSignature = 1
            Repeat("24", 32),                       // consent signer key id
            "00000040" + Repeat("5b", 64),          // consent signature
            Repeat("00", 32));                      // grant id (none)
        AssertGolden(expected, GoldenRecordAnchor().Encode(), b => RecordAnchorPayload.Decode(b).Encode());
    }

    // Proves the author's and the patient's signed statements: their domain tags (raw), the chain id, the record
    // body without signatures, then a zero hash (author) or the author's key id (consent).
    [Fact]
    public void RecordAnchorPayload_Statements_AreGolden()
    {
        var author = "4d65644c65646765722f7265636f72642d617574686f722f7631" + "00" + ChainIdField + RecordBody + Repeat("00", 32);
        var consent = "4d65644c65646765722f7265636f72642d636f6e73656e742f7631" + "00" + ChainIdField + RecordBody + Repeat("23", 32);
        Assert.Equal(author, Of(GoldenRecordAnchor().EncodeAuthorStatement("medledger-golden")));
        Assert.Equal(consent, Of(GoldenRecordAnchor().EncodeConsentStatement("medledger-golden")));

        // Neither statement depends on the signatures, the authorisation or the grant.
        var altered = GoldenRecordAnchor() with { AuthorSignature = [], ConsentSignature = [], Authorisation = WriteAuthorisation.Grant, ConsentSigner = Filled(0x99), GrantId = Filled(0x98) };
        Assert.Equal(author, Of(altered.EncodeAuthorStatement("medledger-golden")));
        Assert.Equal(consent, Of(altered.EncodeConsentStatement("medledger-golden")));
    }

    // Proves the record state value: version, record id, patient, author key id, author user id, organisation,
    // category, created time, tiers, authorisation, grant id, anchored height, status, erased height.
    [Fact]
    public void RecordEntry_Encode_IsGolden()
    {
        var expected = string.Concat(
            "01",                                   // record version 1
            Repeat("21", 32),                       // record id
            Repeat("22", 32),                       // patient user id
            Repeat("23", 32),                       // author key id
            Repeat("25", 32),                       // author user id
            "00000004" + "686f7370",                // organisation "hosp"
            "08",                                   // category: Laboratory = 8
            Time,                                   // created
            Tiers,
            "02",                                   // authorisation: Grant = 2
            Repeat("26", 32),                       // grant id
            "0000000000000009",                     // anchored height
            "02",                                   // status: Erased = 2
            "000000000000000c");                    // erased height 12
        AssertGolden(expected, GoldenRecordEntry().Encode(), b => RecordEntry.Decode(b).Encode());
    }

    // Proves the ConsentGrant payload: patient, actor (kind, then user id / organisation / role), actions (flags),
    // purpose, categories, tiers, records (each a count and items), valid from, valid until.
    [Fact]
    public void ConsentGrantPayload_Encode_IsGolden()
    {
        var expected = string.Concat(
            Repeat("22", 32),                       // patient user id
            "01" + Repeat("41", 32),                // actor: User = 1, user id
            "03",                                   // actions: Read | Append
            "01",                                   // purpose: Treatment = 1
            "00000002" + "08" + "09",               // categories: Laboratory, Imaging
            "00000001" + "02",                      // tiers: GeneralClinical
            "00000001" + Repeat("51", 32),          // records
            Time,                                   // valid from
            Until);                                 // valid until
        AssertGolden(expected, GoldenGrantTerms().Encode(), b => ConsentGrantPayload.Decode(b).Encode());

        var organisationActor = GoldenGrantTerms() with { Actor = GrantActor.ForOrganisation("hosp") };
        Assert.Equal(expected.Replace("01" + Repeat("41", 32), "02" + "00000004" + "686f7370", StringComparison.Ordinal), Of(organisationActor.Encode()));
        var roleActor = GoldenGrantTerms() with { Actor = GrantActor.ForRole(AccountRole.InsurerAgent) };
        Assert.Equal(expected.Replace("01" + Repeat("41", 32), "03" + "08", StringComparison.Ordinal), Of(roleActor.Encode()));
        Assert.Equal(Of(roleActor.Encode()), Of(ConsentGrantPayload.Decode(roleActor.Encode()).Encode()));
    }

    // Proves the grant state value: version, id, the terms as in the payload, created height, revoked height,
    // revocation time.
    [Fact]
    public void Grant_Encode_IsGolden()
    {
        var expected = string.Concat(
            "01",                                   // grant version 1
            Repeat("42", 32),                       // grant id
            Repeat("22", 32),                       // terms: patient
            "02" + "00000004" + "686f7370",         //   actor: Organisation "hosp"
            "03" + "01",                            //   actions, purpose
            "00000002" + "0809",                    //   categories
            "00000001" + "02",                      //   tiers
            "00000000",                             //   records: none
            Time + Until,                           //   period
            "0000000000000005",                     // created height
            "0000000000000006",                     // revoked height
            Until);                                 // revoked at (Unix milliseconds)
        AssertGolden(expected, GoldenGrant().Encode(), b => Grant.Decode(b).Encode());
    }

    // Proves the AccessLog payload: entry count, then per entry time, actor, patient, record, action, purpose,
    // outcome, reason, grant id, request hash — AccessLogEntry.EncodedBytes each.
    [Fact]
    public void AccessLogPayload_Encode_IsGolden()
    {
        var entry = string.Concat(
            Time,                                   // time
            Repeat("01", 32),                       // actor key id
            Repeat("02", 32),                       // patient
            Repeat("03", 32),                       // record id
            "01",                                   // action: Read
            "02",                                   // purpose: Insurance
            "02",                                   // outcome: Denied
            "07",                                   // reason: GrantRevoked
            Repeat("04", 32),                       // grant id
            Repeat("05", 32));                      // request hash
        Assert.Equal(AccessLogEntry.EncodedBytes, entry.Length / 2);
        AssertGolden("00000001" + entry, GoldenAccessLog().Encode(), b => AccessLogPayload.Decode(b).Encode());
    }

    // Proves the version-2 account: the version-1 fields after version byte 2, then organisation, user id and
    // successor; and that an account with none of them set is still written as version 1.
    [Fact]
    public void Account_Version2_IsGolden()
    {
        var expected = string.Concat(
            "02",                                   // account version 2
            KeyC1,                                  // public key
            "04",                                   // role: Doctor
            "00000005" + "616c696365",              // name "alice"
            "0000000000000009",                     // nonce
            "0000000000000003",                     // registered height
            "00",                                   // revoked: false
            "00000004" + "686f7370",                // organisation "hosp"
            Repeat("11", 32),                       // user id
            Repeat("12", 32));                      // successor key id
        AssertGolden(expected, GoldenAccountV2().Encode(), b => Account.Decode(b).Encode());

        Assert.Equal(0x01, (GoldenAccountV2() with { Organisation = string.Empty, UserId = Hash.Zero, Successor = Hash.Zero }).Encode()[0]);
        foreach (var one in new[] { GoldenAccountV2() with { UserId = Hash.Zero, Successor = Hash.Zero }, GoldenAccountV2() with { Organisation = string.Empty, Successor = Hash.Zero }, GoldenAccountV2() with { Organisation = string.Empty, UserId = Hash.Zero } })
        {
            Assert.Equal(0x02, one.Encode()[0]);
            var decoded = Account.Decode(one.Encode());
            Assert.Equal((one.Organisation, one.UserId, one.Successor), (decoded.Organisation, decoded.UserId, decoded.Successor));
        }
    }

    // Proves a version-2 account whose extension fields are all unset is refused (it has one encoding: version 1).
    [Fact]
    public void Account_Version2WithoutExtensions_ThrowsDecodingException()
    {
        var v1 = (GoldenAccountV2() with { Organisation = string.Empty, UserId = Hash.Zero, Successor = Hash.Zero }).Encode();
        byte[] v2Empty = [0x02, .. v1[1..], 0, 0, 0, 0, .. new byte[64]];
        Assert.Throws<DecodingException>(() => Account.Decode(v2Empty));
    }

    // Proves the policy rule list (count; per rule role, purpose, categories, tiers), the hash list (count, raw
    // hashes) and the organisation list (count, strings).
    [Fact]
    public void Lists_Encode_AreGolden()
    {
        var policy = string.Concat(
            "00000002",                             // rule count
            "07" + "03",                            // Researcher, Research
            "00000002" + "0809",                    // categories Laboratory, Imaging
            "00000001" + "02",                      // tiers GeneralClinical
            "06" + "05",                            // Auditor, Audit
            "00000000",                             // categories: none (all)
            "00000002" + "0103");                   // tiers Identity, Sensitive
        AssertGolden(policy, PolicyRule.EncodeList(GoldenPolicy()), b => PolicyRule.EncodeList(PolicyRule.DecodeList(b)));

        AssertGolden("00000002" + Repeat("ee", 32) + Repeat("dd", 32), HashList.Encode([Filled(0xEE), Filled(0xDD)]), b => HashList.Encode(HashList.Decode(b, 2)));
        Assert.Equal("00000000", Of(HashList.Encode([])));

        AssertGolden("00000002" + "00000008" + "636c696e69632d62" + "0000000a" + "686f73706974616c2d61", OrganisationList.Encode(["clinic-b", "hospital-a"]), b => OrganisationList.Encode(OrganisationList.Decode(b)));
    }

    // Proves the state keys of the medical modules: "user/", "org/" + UTF-8 id, "chain/orgs", "chain/policy",
    // "prop/", "rec/", "grant/", "pgrants/".
    [Fact]
    public void StateKeys_MedicalPrefixes_AreGolden()
    {
        Assert.Equal("757365722f" + Repeat("11", 32), Of(StateKeys.UserKey(Filled(0x11))));           // "user/"
        Assert.Equal("6f72672f" + "686f7370", Of(StateKeys.Organisation("hosp")));                     // "org/hosp"
        Assert.Equal("636861696e2f6f726773", Of(StateKeys.Organisations()));                           // "chain/orgs"
        Assert.Equal("636861696e2f706f6c696379", Of(StateKeys.Policy()));                              // "chain/policy"
        Assert.Equal("70726f702f" + Repeat("22", 32), Of(StateKeys.Proposal(Filled(0x22))));          // "prop/"
        Assert.Equal("7265632f" + Repeat("33", 32), Of(StateKeys.Record(Filled(0x33))));              // "rec/"
        Assert.Equal("6772616e742f" + Repeat("44", 32), Of(StateKeys.Grant(Filled(0x44))));           // "grant/"
        Assert.Equal("706772616e74732f" + Repeat("55", 32), Of(StateKeys.PatientGrants(Filled(0x55)))); // "pgrants/"
    }

    // ---- strict decoding

    /// <summary>A decoder under test: a valid sample, how to decode and re-encode, and whether byte 0 is a version.</summary>
    private sealed record Decoder(string Name, byte[] Sample, Func<byte[], byte[]> DecodeAndEncode, bool HasVersion);

    private static readonly Decoder[] Decoders =
    [
        new("UserRegisterPayload", GoldenUserRegister().Encode(), b => UserRegisterPayload.Decode(b).Encode(), false),
        new("KeyRotatePayload", GoldenKeyRotate().Encode(), b => KeyRotatePayload.Decode(b).Encode(), false),
        new("OrganisationProposePayload", GoldenPropose().Encode(), b => OrganisationProposePayload.Decode(b).Encode(), false),
        new("OrganisationVotePayload", new OrganisationVotePayload(Filled(0x77)).Encode(), b => OrganisationVotePayload.Decode(b).Encode(), false),
        new("Organisation", GoldenOrganisation().Encode(), b => Organisation.Decode(b).Encode(), true),
        new("MembershipProposal", GoldenProposal().Encode(), b => MembershipProposal.Decode(b).Encode(), true),
        new("RecordAnchorPayload", GoldenRecordAnchor().Encode(), b => RecordAnchorPayload.Decode(b).Encode(), false),
        new("RecordEntry", GoldenRecordEntry().Encode(), b => RecordEntry.Decode(b).Encode(), true),
        new("ConsentGrantPayload", GoldenGrantTerms().Encode(), b => ConsentGrantPayload.Decode(b).Encode(), false),
        new("ConsentGrantPayload/role", (GoldenGrantTerms() with { Actor = GrantActor.ForRole(AccountRole.Doctor) }).Encode(), b => ConsentGrantPayload.Decode(b).Encode(), false),
        new("Grant", GoldenGrant().Encode(), b => Grant.Decode(b).Encode(), true),
        new("ConsentRevokePayload", new ConsentRevokePayload(Filled(0x61)).Encode(), b => ConsentRevokePayload.Decode(b).Encode(), false),
        new("AccessLogPayload", GoldenAccessLog().Encode(), b => AccessLogPayload.Decode(b).Encode(), false),
        new("RecordErasePayload", new RecordErasePayload(Filled(0x71)).Encode(), b => RecordErasePayload.Decode(b).Encode(), false),
        new("PolicyRuleList", PolicyRule.EncodeList(GoldenPolicy()), b => PolicyRule.EncodeList(PolicyRule.DecodeList(b)), false),
        new("HashList", HashList.Encode([Filled(0xEE), Filled(0xDD)]), b => HashList.Encode(HashList.Decode(b, Limits.MaxGrantsPerPatient)), false),
        new("OrganisationList", OrganisationList.Encode(["clinic-b", "hospital-a"]), b => OrganisationList.Encode(OrganisationList.Decode(b)), false),
        new("AccountV1", GoldenEncodingTests.GoldenAccount().Encode(), b => Account.Decode(b).Encode(), false),
        new("AccountV2", GoldenAccountV2().Encode(), b => Account.Decode(b).Encode(), false),
    ];

    public static TheoryData<string> DecoderNames => [.. Decoders.Select(d => d.Name)];

    public static TheoryData<string> VersionedDecoderNames => [.. Decoders.Where(d => d.HasVersion).Select(d => d.Name)];

    // Proves each sample decodes and re-encodes to the same bytes, so the rejections below come from the alterations.
    [Theory]
    [MemberData(nameof(DecoderNames))]
    public void Decode_Sample_ReEncodesIdentically(string name)
    {
        var decoder = Find(name);
        Assert.Equal(Of(decoder.Sample), Of(decoder.DecodeAndEncode(decoder.Sample)));
    }

    // Proves truncation at every cut point, from empty to one byte short, is a DecodingException.
    [Theory]
    [MemberData(nameof(DecoderNames))]
    public void Decode_TruncatedAtEveryCutPoint_ThrowsDecodingException(string name)
    {
        var decoder = Find(name);
        for (var cut = 0; cut < decoder.Sample.Length; cut++)
        {
            var exception = Record.Exception(() => decoder.DecodeAndEncode(decoder.Sample[..cut]));
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

    // Proves every version byte other than 1 is a DecodingException for the versioned state records.
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
            Assert.Throws<DecodingException>(() => decoder.DecodeAndEncode(altered));
        }
    }

    // Proves accounts accept exactly versions 1 and 2: every other version byte is a DecodingException.
    [Fact]
    public void Account_UnknownVersion_ThrowsDecodingException()
    {
        for (var version = 0; version <= byte.MaxValue; version++)
        {
            if (version is 1 or 2)
            {
                continue;
            }

            foreach (var sample in new[] { GoldenEncodingTests.GoldenAccount().Encode(), GoldenAccountV2().Encode() })
            {
                sample[0] = (byte)version;
                Assert.Throws<DecodingException>(() => Account.Decode(sample));
            }
        }
    }

    // Proves seeded random mutations of each sample either fail with DecodingException or decode to a value that
    // re-encodes to exactly the mutated bytes: no other exception escapes and no value has a second encoding.
    [Theory]
    [MemberData(nameof(DecoderNames))]
    public void Decode_RandomMutations_RejectCleanlyOrRoundTripExactly(string name)
    {
        var decoder = Find(name);
        var seed = Seed + name.Length;
        var random = new Random(seed);
        for (var i = 0; i < 2_000; i++)
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
                Assert.Fail($"{name}, seed {seed}, mutation {i}: {exception.GetType().Name} for {Of(mutated)}");
                throw;
            }

            Assert.True(reEncoded.AsSpan().SequenceEqual(mutated), $"{name}, seed {seed}, mutation {i}: {Of(mutated)} decoded but re-encodes as {Of(reEncoded)}");
        }
    }

    // Proves the decoders' count bounds: a record with 4 tiers, a grant with MaxRecordsPerGrant + 1 records or 4
    // tiers, an access log with MaxAccessLogEntries + 1 entries, a policy list with MaxPolicyRules + 1 rules, a hash
    // list over its given bound and an organisation list that is unsorted or repeats an id are all refused.
    [Fact]
    public void Decode_CountsOverTheirBounds_ThrowDecodingException()
    {
        var tier = GoldenRecordAnchor().Tiers[0];
        Assert.Throws<DecodingException>(() => RecordAnchorPayload.Decode((GoldenRecordAnchor() with { Tiers = [tier, tier, tier, tier] }).Encode()));
        Assert.Throws<DecodingException>(() => RecordEntry.Decode((GoldenRecordEntry() with { Tiers = [tier, tier, tier, tier] }).Encode()));
        Assert.Throws<DecodingException>(() => ConsentGrantPayload.Decode((GoldenGrantTerms() with { Records = Enumerable.Repeat(Filled(0x51), Limits.MaxRecordsPerGrant + 1).ToArray() }).Encode()));
        ConsentGrantPayload.Decode((GoldenGrantTerms() with { Records = Enumerable.Repeat(Filled(0x51), Limits.MaxRecordsPerGrant).ToArray() }).Encode());
        Assert.Throws<DecodingException>(() => ConsentGrantPayload.Decode((GoldenGrantTerms() with { Tiers = [SensitivityTier.Identity, SensitivityTier.Identity, SensitivityTier.Identity, SensitivityTier.Identity] }).Encode()));
        Assert.Throws<DecodingException>(() => AccessLogPayload.Decode(new AccessLogPayload(Enumerable.Repeat(GoldenAccessLog().Entries[0], Limits.MaxAccessLogEntries + 1).ToArray()).Encode()));
        Assert.Throws<DecodingException>(() => PolicyRule.DecodeList(PolicyRule.EncodeList(Enumerable.Repeat(GoldenPolicy()[0], Limits.MaxPolicyRules + 1).ToList())));
        Assert.Throws<DecodingException>(() => HashList.Decode(HashList.Encode([Filled(1), Filled(2), Filled(3)]), 2));
        Assert.Throws<DecodingException>(() => OrganisationList.Decode(OrganisationList.Encode(["hospital-a", "clinic-b"])));
        Assert.Throws<DecodingException>(() => OrganisationList.Decode(OrganisationList.Encode(["clinic-b", "clinic-b"])));
        Assert.Throws<DecodingException>(() => MembershipProposal.Decode((GoldenProposal() with { Votes = ["hospital-a", "clinic-b"] }).Encode()));
    }

    // Proves an unknown grant actor kind (None or 4) does not decode, in the payload and in the stored grant.
    [Fact]
    public void Decode_UnknownGrantActorKind_ThrowsDecodingException()
    {
        foreach (var kind in new byte[] { 0, 4, 255 })
        {
            var payload = GoldenGrantTerms().Encode();
            payload[Hash.Size] = kind;
            Assert.Throws<DecodingException>(() => ConsentGrantPayload.Decode(payload));
            var grant = GoldenGrant().Encode();
            grant[1 + Hash.Size + Hash.Size] = kind;
            Assert.Throws<DecodingException>(() => Grant.Decode(grant));
        }
    }

    private const string OrganisationSpec =
        "00000005" + "6c61622d65"                  // id "lab-e"
        + "00000005" + "4c61622045"                // name "Lab E"
        + "02"                                     // kind: Clinic = 2
        + "00000008" + "6469737472696374"          // tier "district"
        + KeyC1                                    // encryption public key
        + "00000009" + "68747470733a2f2f78";       // endpoint "https://x"

    private const string Tiers =
        "00000002"                                 // tier count
        + "02" + "3131313131313131313131313131313131313131313131313131313131313131" // GeneralClinical, content address
        + "3232323232323232323232323232323232323232323232323232323232323232"       //   commitment
        + "00000400"                               //   ciphertext bytes 1024
        + "03" + "3333333333333333333333333333333333333333333333333333333333333333" // Sensitive, content address
        + "3434343434343434343434343434343434343434343434343434343434343434"       //   commitment
        + "00000800";                              //   ciphertext bytes 2048

    private const string RecordBody =
        "2121212121212121212121212121212121212121212121212121212121212121"         // record id
        + "2222222222222222222222222222222222222222222222222222222222222222"       // patient user id
        + "2323232323232323232323232323232323232323232323232323232323232323"       // author key id
        + "00000004" + "686f7370"                  // organisation "hosp"
        + "08"                                     // category: Laboratory = 8
        + Time                                     // created
        + Tiers;

    private static void AssertGolden(string expected, byte[] encoded, Func<byte[], byte[]> decodeAndEncode)
    {
        Assert.Equal(expected, Of(encoded));
        Assert.Equal(expected, Of(decodeAndEncode(Bytes(expected))));
    }

    private static Decoder Find(string name) => Decoders.Single(d => d.Name == name);

    private static byte[] Mutate(Random random, byte[] sample)
    {
        var bytes = new List<byte>(sample);
        var edits = random.Next(1, 4);
        for (var e = 0; e < edits; e++)
        {
            switch (random.Next(4))
            {
                case 0 when bytes.Count > 0:
                    var bit = random.Next(bytes.Count * 8);
                    bytes[bit / 8] ^= (byte)(1 << (bit % 8));
                    break;
                case 1 when bytes.Count > 0:
                    bytes[random.Next(bytes.Count)] = (byte)random.Next(256);
                    break;
                case 2:
                    bytes.Insert(random.Next(bytes.Count + 1), (byte)random.Next(256));
                    break;
                case 3 when bytes.Count > 0:
                    bytes.RemoveAt(random.Next(bytes.Count));
                    break;
            }
        }

        return [.. bytes];
    }
}
