using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;

namespace MedLedger.Client.Tests;

public sealed class TransactionFactoryTests : IDisposable
{
    private const string Chain = "factory-chain";
    private static readonly ICryptoSuite Suite = CryptoSuites.Standard;

    private readonly ISigningKey _key = Suite.GenerateSigningKey();
    private readonly ISigningKey _other = Suite.GenerateSigningKey();

    public void Dispose()
    {
        _key.Dispose();
        _other.Dispose();
    }

    [Fact]
    public void EveryType_DecodesBackToWhatWasAsked_WithConsecutiveNonces_AndSignaturesThatVerify()
    {
        // One factory builds each transaction type in turn. Each decodes from its canonical bytes to the asked type
        // and payload, is signed by the sender's key over the envelope's signing bytes, names the sender, the chain
        // and expiry height + window, and takes the next nonce after the account's last (7).
        var factory = new TransactionFactory(Suite, _key, Chain, lastNonce: 7, currentHeight: 100, expiryWindowBlocks: 50);
        var patient = Hash.Parse(new string('a', 64));
        var record = Hash.Parse(new string('b', 64));
        var grantTerms = new ConsentGrantPayload(patient, GrantActor.ForOrganisation("st-marys"), GrantActions.Read, AccessPurpose.Treatment, [RecordCategory.Laboratory], [SensitivityTier.GeneralClinical, SensitivityTier.Sensitive], [record], 1_000, 2_000);
        var publicKey = _other.PublicKey.ToArray();
        var built = new List<(Transaction Transaction, TransactionType Type, Action<byte[]> Check)>
        {
            (factory.RegisterUser(publicKey, AccountRole.Doctor, "st-marys", "Dr Ada"), TransactionType.UserRegister, p => Assert.Equal(new UserRegisterPayload(publicKey, AccountRole.Doctor, "st-marys", "Dr Ada").Encode(), p)),
            (factory.RevokeAccount(patient), TransactionType.AccountRevoke, p => Assert.Equal(patient, AccountRevokePayload.Decode(p).Account)),
            (factory.ProposeRemoval("old-clinic"), TransactionType.OrganisationPropose, p =>
            {
                var proposal = OrganisationProposePayload.Decode(p);
                Assert.Equal(MembershipAction.Remove, proposal.Action);
                Assert.Equal("old-clinic", proposal.Organisation.Id);
                Assert.Empty(proposal.AdminPublicKey);
            }),
            (factory.VoteForProposal(record), TransactionType.OrganisationVote, p => Assert.Equal(record, OrganisationVotePayload.Decode(p).ProposalId)),
            (factory.GrantConsent(grantTerms), TransactionType.ConsentGrant, p => Assert.Equal(grantTerms.Encode(), ConsentGrantPayload.Decode(p).Encode())),
            (factory.RevokeConsent(record), TransactionType.ConsentRevoke, p => Assert.Equal(record, ConsentRevokePayload.Decode(p).GrantId)),
            (factory.EraseRecord(record), TransactionType.RecordErase, p => Assert.Equal(record, RecordErasePayload.Decode(p).RecordId)),
        };

        for (var i = 0; i < built.Count; i++)
        {
            var (transaction, type, check) = built[i];
            var decoded = Transaction.Decode(transaction.Encoded.Span);
            Assert.Equal(type, decoded.Type);
            Assert.Equal(Chain, decoded.ChainId);
            Assert.Equal(Suite.Hash(_key.PublicKey.Span), decoded.Sender);
            Assert.Equal(8UL + (ulong)i, decoded.Nonce);
            Assert.Equal(150UL, decoded.ExpiryHeight);
            Assert.True(Suite.Verify(_key.PublicKey.Span, decoded.EncodeSigningBytes(), decoded.Signature.Span), type.ToString());
            check(decoded.Payload.ToArray());
        }

        Assert.Equal(7UL + (ulong)built.Count, factory.LastNonce);
    }

    [Fact]
    public void RotateKey_CarriesTheNewKey_AndItsProofOverTheOldKeyId()
    {
        // The rotation's proof is the new key's signature over EncodeProofBytes(chain, old key id); it does not verify
        // for another chain or under the old key.
        var factory = new TransactionFactory(Suite, _key, Chain, 0, 1);
        var transaction = factory.RotateKey(_other);
        var payload = KeyRotatePayload.Decode(transaction.Payload.Span);

        Assert.Equal(_other.PublicKey.ToArray(), payload.NewPublicKey);
        var oldKeyId = Suite.Hash(_key.PublicKey.Span);
        Assert.True(Suite.Verify(_other.PublicKey.Span, KeyRotatePayload.EncodeProofBytes(Chain, oldKeyId), payload.ProofSignature));
        Assert.False(Suite.Verify(_other.PublicKey.Span, KeyRotatePayload.EncodeProofBytes("other", oldKeyId), payload.ProofSignature));
        Assert.False(Suite.Verify(_key.PublicKey.Span, KeyRotatePayload.EncodeProofBytes(Chain, oldKeyId), payload.ProofSignature));
    }

    [Fact]
    public void ProposeAdmission_CarriesTheOrganisationAndItsAdministrator()
    {
        // The admission proposal decodes to the asked organisation and first administrator.
        var factory = new TransactionFactory(Suite, _key, Chain, 0, 1);
        using var encryption = Suite.GenerateSigningKey();
        var transaction = factory.ProposeAdmission("new-clinic", "New Clinic", OrganisationKind.Clinic, "primary", encryption.PublicKey.Span, "http://127.0.0.1:7200", _other.PublicKey.Span, "Admin Bea");

        var proposal = OrganisationProposePayload.Decode(transaction.Payload.Span);
        Assert.Equal(MembershipAction.Admit, proposal.Action);
        Assert.Equal(("new-clinic", "New Clinic", OrganisationKind.Clinic, "primary", "http://127.0.0.1:7200"), (proposal.Organisation.Id, proposal.Organisation.Name, proposal.Organisation.Kind, proposal.Organisation.Tier, proposal.Organisation.Endpoint));
        Assert.Equal(encryption.PublicKey.ToArray(), proposal.Organisation.EncryptionKey);
        Assert.Equal(_other.PublicKey.ToArray(), proposal.AdminPublicKey);
        Assert.Equal("Admin Bea", proposal.AdminName);
    }

    [Fact]
    public void RegisterPatient_HasNoName_AndNamesAreRequiredForStaff()
    {
        // A patient is registered with an empty name; a patient with a name, staff without one, an Administrator, an
        // invalid key or an invalid organisation id are refused before signing, and no nonce is used up.
        var factory = new TransactionFactory(Suite, _key, Chain, 0, 1);
        var patient = UserRegisterPayload.Decode(factory.RegisterUser(_other.PublicKey.Span, AccountRole.Patient, "st-marys", string.Empty).Payload.Span);
        Assert.Equal((AccountRole.Patient, string.Empty, "st-marys"), (patient.Role, patient.Name, patient.Organisation));

        Assert.Throws<ArgumentException>(() => factory.RegisterUser(_other.PublicKey.Span, AccountRole.Patient, "st-marys", "Named"));
        Assert.Throws<ArgumentException>(() => factory.RegisterUser(_other.PublicKey.Span, AccountRole.Doctor, "st-marys", string.Empty));
        Assert.Throws<ArgumentOutOfRangeException>(() => factory.RegisterUser(_other.PublicKey.Span, AccountRole.Administrator, "st-marys", "Root"));
        Assert.Throws<ArgumentException>(() => factory.RegisterUser(new byte[65], AccountRole.Doctor, "st-marys", "Dr X"));
        Assert.Throws<ArgumentException>(() => factory.ProposeRemoval("Not An Id"));
        Assert.Equal(1UL, factory.LastNonce);
    }

    [Theory]
    [InlineData("no-tiers")]
    [InlineData("no-actions")]
    [InlineData("no-purpose")]
    [InlineData("ends-before-start")]
    [InlineData("append-with-records")]
    [InlineData("patient-role")]
    [InlineData("duplicate-category")]
    public void GrantConsent_RefusesTermsTheLedgerWouldRefuse_WithoutUsingANonce(string fault)
    {
        // Each malformed variant of valid terms is refused with ArgumentException and the nonce stays unused.
        var factory = new TransactionFactory(Suite, _key, Chain, 3, 1);
        var valid = new ConsentGrantPayload(Hash.Parse(new string('a', 64)), GrantActor.ForRole(AccountRole.Doctor), GrantActions.Read, AccessPurpose.Treatment, [], [SensitivityTier.GeneralClinical], [], 1, 2);
        Assert.Null(TransactionFactory.DescribeInvalidGrant(valid));
        var terms = fault switch
        {
            "no-tiers" => valid with { Tiers = [] },
            "no-actions" => valid with { Actions = GrantActions.None },
            "no-purpose" => valid with { Purpose = AccessPurpose.None },
            "ends-before-start" => valid with { ValidUntilUnixMilliseconds = 1 },
            "append-with-records" => valid with { Actions = GrantActions.Append, Records = [Hash.Parse(new string('c', 64))] },
            "patient-role" => valid with { Actor = GrantActor.ForRole(AccountRole.Patient) },
            _ => valid with { Categories = [RecordCategory.Imaging, RecordCategory.Imaging] },
        };

        Assert.Throws<ArgumentException>(() => factory.GrantConsent(terms));
        Assert.Equal(3UL, factory.LastNonce);
    }

    [Fact]
    public async Task CreateAsync_ReadsTheNonceFromTheAccount_AndTheHeightFromStatus()
    {
        // The factory starts after the account's last nonce (12) and expires a window past the node's height.
        using var node = new FakeNode();
        var keyId = Suite.Hash(_key.PublicKey.Span);
        node.OnGet($"/api/v1/accounts/{keyId}", _ => new AccountInfo(keyId.ToString(), Convert.ToHexStringLower(_key.PublicKey.Span), "doctor", "Dr", 12, 1, false));
        using var http = new HttpClient(node, disposeHandler: false) { BaseAddress = new Uri("http://node.test/") };

        var factory = await TransactionFactory.CreateAsync(new MedLedgerClient(http), Suite, _key, expiryWindowBlocks: 25);

        Assert.Equal(FakeNode.ChainId, factory.ChainId);
        Assert.Equal(12UL, factory.LastNonce);
        Assert.Equal(FakeNode.Height + 25, factory.ExpiryHeight);
        Assert.Equal(13UL, factory.RevokeAccount(keyId).Nonce);
    }

    [Fact]
    public async Task CreateAsync_RefusesANodeOfAnotherSuite()
    {
        // A chain that uses another suite could not verify these signatures; the factory refuses it.
        using var node = new FakeNode("gm");
        using var http = new HttpClient(node, disposeHandler: false) { BaseAddress = new Uri("http://node.test/") };

        await Assert.ThrowsAsync<MedLedgerClientException>(() => TransactionFactory.CreateAsync(new MedLedgerClient(http), Suite, _key));
    }

    [Fact]
    public void ExpiryWindow_IsBoundedByTheLedgersLimit()
    {
        // A window of zero or beyond Limits.MaxExpiryWindowBlocks is refused.
        Assert.Throws<ArgumentOutOfRangeException>(() => new TransactionFactory(Suite, _key, Chain, 0, 1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TransactionFactory(Suite, _key, Chain, 0, 1, Limits.MaxExpiryWindowBlocks + 1));
    }
}
