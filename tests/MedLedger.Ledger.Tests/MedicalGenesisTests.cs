using System.Security.Cryptography;
using System.Text;
using MedLedger.Core;
using MedLedger.Crypto;
using static MedLedger.Ledger.Tests.TestHex;

namespace MedLedger.Ledger.Tests;

/// <summary>
/// Genesis v2 (SPEC F1): founding organisations, accounts that belong to them and the consortium policy; its
/// validation, its encoding (version 1 kept for a genesis without them), its JSON and the state it creates.
/// </summary>
public sealed class MedicalGenesisTests : IDisposable
{
    private static readonly ICryptoSuite Suite = CryptoSuites.Standard;

    private readonly ISigningKey _validator = Suite.GenerateSigningKey();
    private readonly ISigningKey _orgAdmin = Suite.GenerateSigningKey();
    private readonly ISigningKey _encryption = Suite.GenerateSigningKey();

    public void Dispose()
    {
        _validator.Dispose();
        _orgAdmin.Dispose();
        _encryption.Dispose();
    }

    // Proves the genesis hash input of version 2, field by field: the version-1 fields, each account followed by its
    // organisation id, then the organisations (id, name, kind, tier, encryption key, endpoint) and the length-prefixed
    // policy rule list (count; role, purpose, categories, tiers).
    [Fact]
    public void Encode_WithOrganisationsAndPolicy_IsGoldenVersion2()
    {
        var expected = string.Concat(
            "02",                                           // genesis encoding version 2
            "00000010" + "6d65646c65646765722d676f6c64656e", // chain id "medledger-golden"
            "00000008" + "7374616e64617264",                // suite "standard"
            "0000018bcfe56800",                             // genesis time 1,700,000,000,000
            "00000001",                                     // validator count
            "00000006" + "6e6f64652d61",                    // "node-a"
            "00000041" + "04" + Repeat("c1", 64),           // its public key
            "000000000000000a",                             // power 10
            "00000002",                                     // account count
            "00000007" + "61646d696e2d61",                  // "admin-a"
            "00000041" + "04" + Repeat("c1", 64),
            "01",                                           // role Administrator
            "00000000",                                     // organisation "" (consortium level)
            "00000008" + "686f73702d61646d",                // "hosp-adm"
            "00000041" + "04" + Repeat("c2", 64),
            "05",                                           // role OrgAdmin
            "00000004" + "686f7370",                        // organisation "hosp"
            "00000001",                                     // organisation count
            "00000004" + "686f7370",                        // id "hosp"
            "00000001" + "48",                              // name "H"
            "01",                                           // kind Hospital
            "00000001" + "74",                              // tier "t"
            "00000041" + "04" + Repeat("c3", 64),           // encryption key
            "00000001" + "65",                              // endpoint "e"
            "00000010",                                     // policy list: u32 length 16, then
            "00000001",                                     //   rule count
            "07" + "03",                                    //   role Researcher, purpose Research
            "00000001" + "08",                              //   categories [Laboratory]
            "00000001" + "02");                             //   tiers [GeneralClinical]
        var genesis = new GenesisDocument(
            "medledger-golden",
            "standard",
            1_700_000_000_000,
            [new GenesisValidator("node-a", "04" + Repeat("c1", 64), 10)],
            [new GenesisAccount("admin-a", "04" + Repeat("c1", 64), AccountRole.Administrator), new GenesisAccount("hosp-adm", "04" + Repeat("c2", 64), AccountRole.OrgAdmin, "hosp")],
            [new GenesisOrganisation("hosp", "H", OrganisationKind.Hospital, "t", "04" + Repeat("c3", 64), "e")],
            [new PolicyRule(AccountRole.Researcher, AccessPurpose.Research, [RecordCategory.Laboratory], [SensitivityTier.GeneralClinical])]);
        Assert.Equal(expected, Of(genesis.Encode()));
        Assert.Equal(Of(SHA256.HashData(Bytes(expected))), genesis.ComputeHash(Suite).ToString());
    }

    // Proves a genesis with empty organisation and policy lists (and no account organisation) still encodes as
    // version 1, byte for byte the golden version-1 genesis, so chains made before version 2 keep their hash; the
    // hash of the golden genesis is frozen here.
    [Fact]
    public void Encode_EmptyOrganisationsAndPolicies_IsVersion1AndKeepsTheGoldenHash()
    {
        var golden = GoldenEncodingTests.GoldenGenesis();
        var withEmptyLists = golden with { Organisations = [], Policies = [] };
        var withEmptyAccountOrganisations = golden with { Accounts = [.. golden.Accounts.Select(a => a with { Organisation = string.Empty })] };

        Assert.Equal(0x01, golden.Encode()[0]);
        Assert.Equal(Of(golden.Encode()), Of(withEmptyLists.Encode()));
        Assert.Equal(Of(golden.Encode()), Of(withEmptyAccountOrganisations.Encode()));
        Assert.Equal("4dd853bd7ff32040df307f7dd74113b3b5008f75217dcf7c9366f7a28b64dcd9", golden.ComputeHash(Suite).ToString());
        Assert.Equal(golden.ComputeHash(Suite), withEmptyLists.ComputeHash(Suite));
    }

    // Proves any one of the version-2 parts (an organisation, a policy rule, an account organisation) switches the
    // encoding to version 2, so the hash differs from the same document without it.
    [Fact]
    public void Encode_AnyVersion2Part_SwitchesToVersion2()
    {
        var baseDocument = ValidV2() with { Policies = null };
        var v1 = baseDocument with { Organisations = null, Accounts = [new GenesisAccount("admin", Hex(_validator), AccountRole.Administrator)] };
        Assert.Equal(0x01, v1.Encode()[0]);
        GenesisDocument[] extended =
        [
            v1 with { Organisations = ValidV2().Organisations },
            v1 with { Policies = ValidV2().Policies },
            v1 with { Accounts = [new GenesisAccount("admin", Hex(_validator), AccountRole.Administrator, "hosp")] },
        ];
        foreach (var document in extended)
        {
            Assert.Equal(0x02, document.Encode()[0]);
            Assert.NotEqual(v1.ComputeHash(Suite), document.ComputeHash(Suite));
        }
    }

    // Proves the state of a version-2 genesis: each organisation Active at height 0 with its fields, the sorted list
    // of members, the policy, org accounts with their organisation and a user/ entry naming their own key, and no
    // user/ entry for the consortium-level administrator.
    [Fact]
    public void FromGenesis_Version2_HoldsOrganisationsPolicyAndOrganisationAccounts()
    {
        using var chain = new MedicalChain(("zeta-care", OrganisationKind.ElderlyCare), (MedicalChain.HospitalA, OrganisationKind.Hospital), ("m-research", OrganisationKind.ResearchInstitute));
        var node = chain.Node;

        Assert.Equal(["hospital-a", "m-research", "zeta-care"], OrganisationList.Decode(node.Query(StateKeys.Organisations())));
        var hospital = node.GetOrganisation(MedicalChain.HospitalA)!;
        Assert.Equal(
            new Organisation(MedicalChain.HospitalA, "Organisation hospital-a", OrganisationKind.Hospital, "tertiary", chain[MedicalChain.HospitalA].Encryption.PublicKey.ToArray(), "https://hospital-a.example", OrganisationStatus.Active, 0).Encode(),
            hospital.Encode());
        Assert.Equal(OrganisationKind.ElderlyCare, node.GetOrganisation("zeta-care")!.Kind);

        var rules = PolicyRule.DecodeList(node.Query(StateKeys.Policy()));
        var rule = Assert.Single(rules);
        Assert.Equal((AccountRole.Researcher, AccessPurpose.Research), (rule.Role, rule.Purpose));
        Assert.Equal([RecordCategory.Laboratory], rule.Categories);
        Assert.Equal([SensitivityTier.GeneralClinical], rule.Tiers);
        Assert.Single(AccessPolicy.PolicyFor(node.CommittedState, AccountRole.Researcher, AccessPurpose.Research));
        Assert.Empty(AccessPolicy.PolicyFor(node.CommittedState, AccountRole.Auditor, AccessPurpose.Research));

        var admin = chain[MedicalChain.HospitalA].Admin;
        var account = node.GetAccount(MedicalChain.IdOf(admin))!;
        Assert.Equal((AccountRole.OrgAdmin, MedicalChain.HospitalA, "hospital-a-admin", 0UL, 0UL, false), (account.Role, account.Organisation, account.Name, account.Nonce, account.RegisteredHeight, account.Revoked));
        Assert.True(account.UserId.IsZero);
        Assert.Equal(MedicalChain.IdOf(admin), node.GetCurrentKey(MedicalChain.IdOf(admin)));
        Assert.Equal(AccountRole.Node, node.GetAccount(chain[MedicalChain.HospitalA].NodeId)!.Role);

        Assert.Equal(string.Empty, node.GetAccount(chain.AdminId)!.Organisation);
        Assert.True(node.GetCurrentKey(chain.AdminId).IsZero);
        Assert.Null(node.Query(StateKeys.UserKey(chain.AdminId)));
    }

    // Proves a version-1 genesis creates no organisation, list or policy entries (the state of earlier chains).
    [Fact]
    public void CreateInitialState_Version1_WritesNoOrganisationEntries()
    {
        var document = ValidV2() with { Organisations = null, Policies = null, Accounts = [new GenesisAccount("admin", Hex(_validator), AccountRole.Administrator)] };
        var writes = document.CreateInitialState(Suite);
        Assert.Equal(3, writes.Count);
        Assert.False(writes.TryGet(StateKeys.Organisations(), out _));
        Assert.False(writes.TryGet(StateKeys.Policy(), out _));
    }

    // Proves a version-2 genesis survives its JSON (camelCase enum names, organisation and policy arrays) with the
    // same encoding and hash, and that a version-1 document's JSON does not gain the new fields.
    [Fact]
    public void Json_Version2_RoundTripsWithSameHash()
    {
        var document = ValidV2();
        var json = document.ToJson();
        var text = Encoding.UTF8.GetString(json);
        Assert.Contains("\"organisations\"", text, StringComparison.Ordinal);
        Assert.Contains("\"kind\": \"hospital\"", text, StringComparison.Ordinal);
        Assert.Contains("\"organisation\": \"hosp\"", text, StringComparison.Ordinal);
        Assert.Contains("\"role\": \"researcher\"", text, StringComparison.Ordinal);
        Assert.Contains("\"purpose\": \"research\"", text, StringComparison.Ordinal);
        Assert.Contains("\"generalClinical\"", text, StringComparison.Ordinal);

        var parsed = GenesisDocument.FromJson(json);
        Assert.Equal(Of(document.Encode()), Of(parsed.Encode()));
        Assert.Equal(document.ComputeHash(Suite), parsed.ComputeHash(Suite));

        var v1Text = Encoding.UTF8.GetString(GoldenEncodingTests.GoldenGenesis().ToJson());
        Assert.DoesNotContain("organisation", v1Text, StringComparison.Ordinal);
        Assert.DoesNotContain("policies", v1Text, StringComparison.Ordinal);
    }

    // Proves an integer where an enum name belongs (kind 1) is refused by the JSON reader, not read as a number.
    [Fact]
    public void FromJson_IntegerKind_ThrowsDecodingException()
    {
        var text = Encoding.UTF8.GetString(ValidV2().ToJson()).Replace("\"kind\": \"hospital\"", "\"kind\": 1", StringComparison.Ordinal);
        Assert.Throws<DecodingException>(() => GenesisDocument.FromJson(Encoding.UTF8.GetBytes(text)));
    }

    public static TheoryData<string> InvalidVersion2Documents =>
    [
        "org id empty", "org id uppercase", "org id leading hyphen", "org id trailing hyphen", "org id underscore", "org id 65 bytes",
        "duplicate org", "org kind none", "org kind undefined", "org encryption key invalid", "org name empty", "org tier too long",
        "org endpoint too long", "account names unknown org", "patient in genesis", "rule role doctor", "rule role undefined",
        "rule purpose none", "rule no tiers", "rule tier none", "rule category none", "rule category undefined", "too many rules",
    ];

    // Proves each malformed version-2 part is refused by Validate and by FromJson with a DecodingException.
    [Theory]
    [MemberData(nameof(InvalidVersion2Documents))]
    public void Validate_InvalidVersion2Part_ThrowsDecodingException(string fault)
    {
        var valid = ValidV2();
        var organisation = valid.Organisations![0];
        var rule = valid.Policies![0];
        GenesisDocument WithOrganisation(GenesisOrganisation changed) => valid with { Organisations = [changed] };
        GenesisDocument WithRule(PolicyRule changed) => valid with { Policies = [changed] };
        var document = fault switch
        {
            "org id empty" => WithOrganisation(organisation with { Id = string.Empty }),
            "org id uppercase" => WithOrganisation(organisation with { Id = "Hosp" }),
            "org id leading hyphen" => WithOrganisation(organisation with { Id = "-hosp" }),
            "org id trailing hyphen" => WithOrganisation(organisation with { Id = "hosp-" }),
            "org id underscore" => WithOrganisation(organisation with { Id = "ho_sp" }),
            "org id 65 bytes" => WithOrganisation(organisation with { Id = new string('a', 65) }),
            "duplicate org" => valid with { Organisations = [organisation, organisation with { Name = "Other" }] },
            "org kind none" => WithOrganisation(organisation with { Kind = OrganisationKind.None }),
            "org kind undefined" => WithOrganisation(organisation with { Kind = (OrganisationKind)77 }),
            "org encryption key invalid" => WithOrganisation(organisation with { EncryptionPublicKey = "04" + Repeat("c1", 64) }),
            "org name empty" => WithOrganisation(organisation with { Name = string.Empty }),
            "org tier too long" => WithOrganisation(organisation with { Tier = new string('t', Limits.MaxLabelBytes + 1) }),
            "org endpoint too long" => WithOrganisation(organisation with { Endpoint = new string('e', Limits.MaxLabelBytes + 1) }),
            "account names unknown org" => valid with { Accounts = [.. valid.Accounts, new GenesisAccount("stray", Hex(_encryption), AccountRole.Doctor, "nowhere")] },
            "patient in genesis" => valid with { Accounts = [.. valid.Accounts, new GenesisAccount("patient", Hex(_encryption), AccountRole.Patient, "hosp")] },
            "rule role doctor" => WithRule(rule with { Role = AccountRole.Doctor }),
            "rule role undefined" => WithRule(rule with { Role = (AccountRole)99 }),
            "rule purpose none" => WithRule(rule with { Purpose = AccessPurpose.None }),
            "rule no tiers" => WithRule(rule with { Tiers = [] }),
            "rule tier none" => WithRule(rule with { Tiers = [SensitivityTier.None] }),
            "rule category none" => WithRule(rule with { Categories = [RecordCategory.None] }),
            "rule category undefined" => WithRule(rule with { Categories = [(RecordCategory)200] }),
            "too many rules" => valid with { Policies = Enumerable.Repeat(rule, Limits.MaxPolicyRules + 1).ToList() },
            _ => throw new ArgumentOutOfRangeException(nameof(fault)),
        };

        Assert.Throws<DecodingException>(document.Validate);
        if (!fault.Contains("undefined", StringComparison.Ordinal))
        {
            // Undefined enum values cannot be written as JSON names; the rest must also fail when read from a file.
            Assert.Throws<DecodingException>(() => GenesisDocument.FromJson(document.ToJson()));
        }
    }

    // Proves the valid base document of the theory above passes, so each failure comes from its one fault; and that
    // an auditor rule and a rule without categories (all categories) are valid too.
    [Fact]
    public void Validate_ValidVersion2Document_Passes()
    {
        ValidV2().Validate();
        (ValidV2() with { Policies = [new PolicyRule(AccountRole.Auditor, AccessPurpose.Audit, [], [SensitivityTier.Identity, SensitivityTier.Sensitive])] }).Validate();
        (ValidV2() with { Organisations = [ValidV2().Organisations![0] with { Id = new string('a', 64), Tier = null!, Endpoint = null! }], Accounts = [new GenesisAccount("admin", Hex(_validator), AccountRole.Administrator)] }).Validate();
    }

    // Proves the organisation id rule: 1..64 lowercase letters, digits and inner hyphens.
    [Theory]
    [InlineData("a", true)]
    [InlineData("0", true)]
    [InlineData("hospital-a", true)]
    [InlineData("a--b", true)]
    [InlineData("", false)]
    [InlineData(null, false)]
    [InlineData("-a", false)]
    [InlineData("a-", false)]
    [InlineData("-", false)]
    [InlineData("A", false)]
    [InlineData("a b", false)]
    [InlineData("a.b", false)]
    [InlineData("é", false)]
    public void IsValidId_Examples(string? id, bool valid) => Assert.Equal(valid, Organisation.IsValidId(id));

    // Proves the length bound of organisation ids is exactly MaxOrganisationIdBytes.
    [Fact]
    public void IsValidId_LengthBound_IsMaxOrganisationIdBytes()
    {
        Assert.True(Organisation.IsValidId(new string('a', Limits.MaxOrganisationIdBytes)));
        Assert.False(Organisation.IsValidId(new string('a', Limits.MaxOrganisationIdBytes + 1)));
    }

    private static string Hex(ISigningKey key) => Convert.ToHexStringLower(key.PublicKey.Span);

    private GenesisDocument ValidV2() => new(
        "medledger-genesis-v2",
        StandardCryptoSuite.SuiteName,
        1_700_000_000_000,
        [new GenesisValidator("validator", Hex(_validator), 1)],
        [new GenesisAccount("admin", Hex(_validator), AccountRole.Administrator), new GenesisAccount("hosp-admin", Hex(_orgAdmin), AccountRole.OrgAdmin, "hosp")],
        [new GenesisOrganisation("hosp", "Hospital", OrganisationKind.Hospital, "tertiary", Hex(_encryption), "https://hosp.example")],
        [new PolicyRule(AccountRole.Researcher, AccessPurpose.Research, [RecordCategory.Laboratory], [SensitivityTier.GeneralClinical])]);
}
