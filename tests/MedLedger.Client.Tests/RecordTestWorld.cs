using System.Text;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;
using MedLedger.Sharing.Records;

namespace MedLedger.Client.Tests;

/// <summary>
/// The parties of a record: an author (doctor), a patient, the holding organisation's encryption key and another
/// reader, plus the server's half of a read (unwrap with the organisation key, re-wrap in static form for a reader)
/// written from the contract, so the client's reader can be tested against it.
/// </summary>
internal sealed class RecordTestWorld : IDisposable
{
    public const string Chain = "records-chain";
    public const string Organisation = "st-marys";
    public static readonly ICryptoSuite Suite = CryptoSuites.Standard;

    public ISigningKey Author { get; } = Suite.GenerateSigningKey();

    public ISigningKey Patient { get; } = Suite.GenerateSigningKey();

    public ISigningKey OrganisationKey { get; } = Suite.GenerateSigningKey();

    public ISigningKey OtherReader { get; } = Suite.GenerateSigningKey();

    public Hash AuthorId => Suite.Hash(Author.PublicKey.Span);

    public Hash PatientId => Suite.Hash(Patient.PublicKey.Span);

    public static IReadOnlyDictionary<SensitivityTier, byte[]> ThreeTiers() => new Dictionary<SensitivityTier, byte[]>
    {
        // Deliberately out of order: the anchor must list tiers ascending.
        [SensitivityTier.Sensitive] = Encoding.UTF8.GetBytes("{\"resourceType\":\"Condition\",\"code\":\"F32.1\"}"),
        [SensitivityTier.Identity] = Encoding.UTF8.GetBytes("{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Lovelace\"}]}"),
        [SensitivityTier.GeneralClinical] = Encoding.UTF8.GetBytes("{\"resourceType\":\"Observation\",\"valueQuantity\":{\"value\":7.2}}"),
    };

    public RecordDraft Prepare(IReadOnlyDictionary<SensitivityTier, byte[]>? parts = null, ISigningKey? author = null) =>
        RecordWriter.Prepare(Suite, author ?? Author, Chain, PatientId, Patient.PublicKey.Span, Organisation, OrganisationKey.PublicKey.Span, RecordCategory.Laboratory, parts ?? ThreeTiers(), 1_770_000_000_000);

    /// <summary>What the holding node answers <paramref name="reader"/>: each tier's data key re-wrapped statically.</summary>
    public RecordContentResponse ServeRead(RecordDraft draft, ISigningKey reader)
    {
        var readerKeyId = Suite.Hash(reader.PublicKey.Span);
        var secret = KeyWrap.DeriveStaticSecret(Suite, OrganisationKey, reader.PublicKey.Span);
        var tiers = new List<RecordTierContent>();
        foreach (var upload in draft.Tiers)
        {
            var tier = ApiNames.Parse<SensitivityTier>(upload.Tier);
            var anchor = draft.Anchor.Tiers.Single(t => t.Tier == tier);
            var organisationKeyId = Suite.Hash(OrganisationKey.PublicKey.Span);
            var dataKey = KeyWrap.Unwrap(Suite, OrganisationKey, Convert.FromBase64String(upload.OrganisationEnvelope), RecordSealing.EnvelopeAssociatedData(draft.RecordId, tier, organisationKeyId));
            var envelope = KeyWrap.WrapStatic(Suite, secret, OrganisationKey.PublicKey.Span, reader.PublicKey.Span, dataKey, RecordSealing.EnvelopeAssociatedData(draft.RecordId, tier, readerKeyId));
            tiers.Add(new RecordTierContent(upload.Tier, anchor.ContentAddress.ToString(), anchor.Commitment.ToString(), upload.Ciphertext, Convert.ToBase64String(envelope)));
        }

        var summary = new RecordSummary(draft.RecordId.ToString(), draft.Anchor.Patient.ToString(), draft.Anchor.Author.ToString(), draft.Anchor.Author.ToString(), Organisation, "laboratory", DateTimeOffset.FromUnixTimeMilliseconds(draft.Anchor.CreatedUnixMilliseconds), [.. draft.Tiers.Select(t => t.Tier)], 5, "active");
        return new RecordContentResponse(summary, Convert.ToHexStringLower(OrganisationKey.PublicKey.Span), tiers, null, "treatment", new string('9', 64));
    }

    public void Dispose()
    {
        Author.Dispose();
        Patient.Dispose();
        OrganisationKey.Dispose();
        OtherReader.Dispose();
    }
}
