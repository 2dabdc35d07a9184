using System.Net;
using System.Text;
using MedLedger.Core;
using MedLedger.Ledger;
using MedLedger.Sharing.Records;

namespace MedLedger.Client.Tests;

public sealed class RecordWriterTests : IDisposable
{
    private readonly RecordTestWorld _world = new();

    public void Dispose() => _world.Dispose();

    [Fact]
    public void Prepare_EveryTierOpensWithTheOrganisationsKey_AndWithThePatientsKey()
    {
        // The organisation's private key unwraps every organisation envelope (bound to the record, tier and its key id)
        // and OpenTier recovers each part against the anchor's content address and commitment; the patient's key does
        // the same with the patient envelopes.
        var parts = RecordTestWorld.ThreeTiers();
        var draft = _world.Prepare(parts);

        foreach (var upload in draft.Tiers)
        {
            var tier = ApiNames.Parse<SensitivityTier>(upload.Tier);
            var anchor = draft.Anchor.Tiers.Single(t => t.Tier == tier);
            var ciphertext = Convert.FromBase64String(upload.Ciphertext);
            foreach (var (recipient, envelope) in new[] { (_world.OrganisationKey, upload.OrganisationEnvelope), (_world.Patient, upload.PatientEnvelope) })
            {
                var recipientId = RecordTestWorld.Suite.Hash(recipient.PublicKey.Span);
                var dataKey = Crypto.KeyWrap.Unwrap(RecordTestWorld.Suite, recipient, Convert.FromBase64String(envelope), RecordSealing.EnvelopeAssociatedData(draft.RecordId, tier, recipientId));
                var plaintext = RecordSealing.OpenTier(RecordTestWorld.Suite, draft.RecordId, tier, ciphertext, dataKey, anchor.ContentAddress, anchor.Commitment);
                Assert.Equal(parts[tier], plaintext);
            }
        }
    }

    [Fact]
    public void Prepare_BuildsTheAnchor_TiersAscending_SignedByTheAuthor()
    {
        // The anchor names the patient, author, organisation, category and time; its tiers ascend by value and point at
        // the hash and size of each ciphertext; the author's signature verifies over the author statement (and not over
        // another chain's); no authorisation is chosen yet for a doctor's write.
        var draft = _world.Prepare();
        var anchor = draft.Anchor;

        Assert.Equal([SensitivityTier.Identity, SensitivityTier.GeneralClinical, SensitivityTier.Sensitive], anchor.Tiers.Select(t => t.Tier));
        Assert.Equal(["identity", "generalClinical", "sensitive"], draft.Tiers.Select(t => t.Tier));
        Assert.False(anchor.RecordId.IsZero);
        Assert.Equal((_world.PatientId, _world.AuthorId, RecordTestWorld.Organisation, RecordCategory.Laboratory, 1_770_000_000_000L), (anchor.Patient, anchor.Author, anchor.Organisation, anchor.Category, anchor.CreatedUnixMilliseconds));
        for (var i = 0; i < anchor.Tiers.Count; i++)
        {
            var ciphertext = Convert.FromBase64String(draft.Tiers[i].Ciphertext);
            Assert.Equal(RecordTestWorld.Suite.Hash(ciphertext), anchor.Tiers[i].ContentAddress);
            Assert.Equal((uint)ciphertext.Length, anchor.Tiers[i].CiphertextBytes);
        }

        Assert.True(RecordTestWorld.Suite.Verify(_world.Author.PublicKey.Span, anchor.EncodeAuthorStatement(RecordTestWorld.Chain), anchor.AuthorSignature));
        Assert.False(RecordTestWorld.Suite.Verify(_world.Author.PublicKey.Span, anchor.EncodeAuthorStatement("other-chain"), anchor.AuthorSignature));
        Assert.Equal(WriteAuthorisation.None, anchor.Authorisation);
        Assert.Equal(anchor.Encode(), RecordAnchorPayload.Decode(anchor.Encode()).Encode());
    }

    [Fact]
    public void Prepare_GivesEachRecordAFreshId_AndEachTierAFreshKey()
    {
        // Two records of the same content differ in id, ciphertext and commitment (fresh ids, keys and salts).
        var first = _world.Prepare();
        var second = _world.Prepare();

        Assert.NotEqual(first.RecordId, second.RecordId);
        Assert.NotEqual(first.Tiers[0].Ciphertext, second.Tiers[0].Ciphertext);
        Assert.NotEqual(first.Anchor.Tiers[0].Commitment, second.Anchor.Tiers[0].Commitment);
    }

    [Fact]
    public void SignConsent_FillsTheConsentFields_AndBothSignaturesVerify()
    {
        // The patient's key co-signs the consent statement: authorisation = PatientSignature, signer = patient key id,
        // the consent signature verifies under the patient's key (not the author's), the author's still verifies.
        var draft = _world.Prepare().SignConsent(RecordTestWorld.Suite, _world.Patient);
        var anchor = draft.Anchor;

        Assert.Equal(WriteAuthorisation.PatientSignature, anchor.Authorisation);
        Assert.Equal(_world.PatientId, anchor.ConsentSigner);
        Assert.True(RecordTestWorld.Suite.Verify(_world.Patient.PublicKey.Span, draft.EncodeConsentStatement(), anchor.ConsentSignature));
        Assert.False(RecordTestWorld.Suite.Verify(_world.Author.PublicKey.Span, draft.EncodeConsentStatement(), anchor.ConsentSignature));
        Assert.False(RecordTestWorld.Suite.Verify(_world.Patient.PublicKey.Span, draft.EncodeAuthorStatement(), anchor.ConsentSignature));
        Assert.True(RecordTestWorld.Suite.Verify(_world.Author.PublicKey.Span, draft.EncodeAuthorStatement(), anchor.AuthorSignature));
    }

    [Fact]
    public void WithGrant_NamesTheGrant_AndThePatientAsAuthorIsRecognised()
    {
        // A grant authorisation carries the grant id and no consent signature; a record whose author key is the
        // patient's is marked PatientAuthor without further steps.
        var grantId = Hash.Parse(new string('e', 64));
        var granted = _world.Prepare().SignConsent(RecordTestWorld.Suite, _world.Patient).WithGrant(grantId).Anchor;
        Assert.Equal((WriteAuthorisation.Grant, grantId, Hash.Zero, 0), (granted.Authorisation, granted.GrantId, granted.ConsentSigner, granted.ConsentSignature.Length));

        var own = _world.Prepare(author: _world.Patient).Anchor;
        Assert.Equal(WriteAuthorisation.PatientAuthor, own.Authorisation);
        Assert.Equal(_world.PatientId, own.Author);
    }

    [Fact]
    public void Prepare_RefusesEmptyOrMislabelledInput()
    {
        // No content, a part without a tier, no category, or an invalid patient key are refused before sealing.
        Assert.Throws<ArgumentException>(() => _world.Prepare(new Dictionary<SensitivityTier, byte[]> { [SensitivityTier.GeneralClinical] = [] }));
        Assert.Throws<ArgumentException>(() => _world.Prepare(new Dictionary<SensitivityTier, byte[]> { [SensitivityTier.None] = [1] }));
        Assert.Throws<ArgumentOutOfRangeException>(() => RecordWriter.Prepare(RecordTestWorld.Suite, _world.Author, RecordTestWorld.Chain, _world.PatientId, _world.Patient.PublicKey.Span, RecordTestWorld.Organisation, _world.OrganisationKey.PublicKey.Span, RecordCategory.None, RecordTestWorld.ThreeTiers(), 1));
        Assert.Throws<ArgumentException>(() => RecordWriter.Prepare(RecordTestWorld.Suite, _world.Author, RecordTestWorld.Chain, _world.PatientId, new byte[65], RecordTestWorld.Organisation, _world.OrganisationKey.PublicKey.Span, RecordCategory.Laboratory, RecordTestWorld.ThreeTiers(), 1));
        Assert.Throws<ArgumentException>(() => _world.Prepare(new Dictionary<SensitivityTier, byte[]> { [SensitivityTier.GeneralClinical] = new byte[RecordWriter.MaxRecordBytes + 1] }));
    }

    [Fact]
    public async Task PrepareAndUpload_OverTheApi_LooksUpKeys_AndPostsTheSignedAnchorWithTheTiers()
    {
        // 1. The writer reads the patient's current key and the author's organisation and its encryption key.
        // 2. The whole document becomes the general clinical tier (default splitter); the patient co-signs.
        // 3. The upload is one signed POST /api/v1/records?wait=commit whose transaction is a RecordAnchor sent by the
        //    author with the next nonce, whose payload is the draft's anchor, and whose tiers are the draft's.
        using var node = new FakeNode();
        var author = _world.AuthorId;
        node.OnGet($"/api/v1/users/{_world.PatientId}", _ => new UserInfo(_world.PatientId.ToString(), _world.PatientId.ToString(), Convert.ToHexStringLower(_world.Patient.PublicKey.Span), "patient", RecordTestWorld.Organisation, string.Empty, true))
            .OnGet($"/api/v1/users/{author}", _ => new UserInfo(author.ToString(), author.ToString(), Convert.ToHexStringLower(_world.Author.PublicKey.Span), "doctor", RecordTestWorld.Organisation, "Dr Ada", true))
            .OnGet($"/api/v1/organisations/{RecordTestWorld.Organisation}", _ => new OrganisationInfo(RecordTestWorld.Organisation, "St Mary's", "hospital", "tertiary", Convert.ToHexStringLower(_world.OrganisationKey.PublicKey.Span), "http://127.0.0.1:7100", "active", 0))
            .OnGet($"/api/v1/accounts/{author}", _ => new AccountInfo(author.ToString(), Convert.ToHexStringLower(_world.Author.PublicKey.Span), "doctor", "Dr Ada", 4, 1, false));
        RecordDraft? prepared = null;
        node.OnPost("/api/v1/records", request => new RecordUploadResponse(prepared!.RecordId.ToString(), new string('7', 64), 41), HttpStatusCode.Created);
        using var client = MedLedgerUserClient.Create(new Uri("http://node.test"), RecordTestWorld.Suite, _world.Author, innerHandler: node);
        var writer = new RecordWriter(client, new ManualTime(DateTimeOffset.FromUnixTimeMilliseconds(1_770_000_123_456)));
        var document = Encoding.UTF8.GetBytes("{\"resourceType\":\"Bundle\",\"type\":\"collection\"}");

        prepared = (await writer.PrepareRecordAsync(_world.PatientId, RecordCategory.Examination, document)).SignConsent(RecordTestWorld.Suite, _world.Patient);
        var response = await writer.UploadAsync(prepared);

        Assert.Equal(41UL, response.Height);
        Assert.Equal(1_770_000_123_456, prepared.Anchor.CreatedUnixMilliseconds);
        var upload = Assert.Single(node.Requests, r => r.Method == HttpMethod.Post);
        Assert.Equal("/api/v1/records?wait=commit", upload.PathAndQuery);
        Assert.True(upload.IsSigned);
        var body = upload.Json<RecordUploadRequest>();
        var transaction = Transaction.Decode(Convert.FromBase64String(body.Transaction));
        Assert.Equal((TransactionType.RecordAnchor, author, 5UL, FakeNode.ChainId), (transaction.Type, transaction.Sender, transaction.Nonce, transaction.ChainId));
        Assert.True(RecordTestWorld.Suite.Verify(_world.Author.PublicKey.Span, transaction.EncodeSigningBytes(), transaction.Signature.Span));
        Assert.Equal(prepared.Anchor.Encode(), transaction.Payload.ToArray());
        var tier = Assert.Single(body.Tiers);
        Assert.Equal(prepared.Tiers[0], tier);
        Assert.Equal("generalClinical", tier.Tier);
        Assert.All(node.Requests.Where(r => r.Uri.AbsolutePath.StartsWith("/api/v1/users/", StringComparison.Ordinal)), r => Assert.True(r.IsSigned));
    }

    [Fact]
    public async Task Upload_WithoutAuthorisation_SendsNothing()
    {
        // A doctor's draft without the patient's consent or a grant is not uploaded.
        using var node = new FakeNode();
        using var client = MedLedgerUserClient.Create(new Uri("http://node.test"), RecordTestWorld.Suite, _world.Author, innerHandler: node);

        await Assert.ThrowsAsync<InvalidOperationException>(() => new RecordWriter(client).UploadAsync(_world.Prepare()));

        Assert.Empty(node.Requests);
    }

    [Fact]
    public async Task Prepare_RefusesAPatientKeyThatDoesNotMatchItsKeyId()
    {
        // A node that reports a public key whose hash is not the user's current key id is not trusted with a record.
        using var node = new FakeNode();
        node.OnGet($"/api/v1/users/{_world.PatientId}", _ => new UserInfo(_world.PatientId.ToString(), _world.PatientId.ToString(), Convert.ToHexStringLower(_world.OtherReader.PublicKey.Span), "patient", RecordTestWorld.Organisation, string.Empty, true));
        using var client = MedLedgerUserClient.Create(new Uri("http://node.test"), RecordTestWorld.Suite, _world.Author, innerHandler: node);

        await Assert.ThrowsAsync<MedLedgerClientException>(() => new RecordWriter(client).PrepareRecordAsync(_world.PatientId, RecordCategory.Examination, "{}"u8.ToArray()));
        Assert.DoesNotContain(node.Requests, r => r.Method == HttpMethod.Post);
    }
}
