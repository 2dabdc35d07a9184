using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;

namespace MedLedger.Client;

/// <summary>
/// A record sealed and signed by its author but not yet sent (<see cref="RecordWriter"/>): the anchor payload with
/// the author's signature and the sealed tiers with their key envelopes. The data keys are already wiped. Before
/// upload the write needs an authorisation (SPEC F15): the patient's co-signature over
/// <see cref="EncodeConsentStatement"/> (<see cref="WithConsentSignature"/>), a grant (<see cref="WithGrant"/>), or the
/// patient as author. Immutable: the <c>With…</c> methods return new drafts.
/// </summary>
/// <param name="ChainId">The chain the statements are bound to.</param>
/// <param name="Anchor">The anchor payload.</param>
/// <param name="Tiers">The sealed tiers, in the anchor's order.</param>
public sealed record RecordDraft(string ChainId, RecordAnchorPayload Anchor, IReadOnlyList<RecordTierUpload> Tiers)
{
    /// <summary>The record id.</summary>
    public Hash RecordId => Anchor.RecordId;

    /// <summary>The bytes the author signed.</summary>
    public byte[] EncodeAuthorStatement() => Anchor.EncodeAuthorStatement(ChainId);

    /// <summary>The bytes the patient signs to consent to this write by this author.</summary>
    public byte[] EncodeConsentStatement() => Anchor.EncodeConsentStatement(ChainId);

    /// <summary>Authorises the write with the patient's signature over <see cref="EncodeConsentStatement"/>.</summary>
    /// <param name="consentSigner">Key id of the patient's current key.</param>
    /// <param name="consentSignature">Its signature.</param>
    public RecordDraft WithConsentSignature(Hash consentSigner, byte[] consentSignature)
    {
        ArgumentNullException.ThrowIfNull(consentSignature);
        if (consentSigner.IsZero || consentSignature.Length is 0 or > Limits.MaxSignatureBytes)
        {
            throw new ArgumentException("A consent needs the signer's key id and a signature.", nameof(consentSignature));
        }

        return this with { Anchor = Anchor with { Authorisation = WriteAuthorisation.PatientSignature, ConsentSigner = consentSigner, ConsentSignature = consentSignature, GrantId = Hash.Zero } };
    }

    /// <summary>Signs the consent statement with the patient's key and authorises the write with it.</summary>
    public RecordDraft SignConsent(ICryptoSuite suite, ISigningKey patientKey)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(patientKey);
        return WithConsentSignature(suite.Hash(patientKey.PublicKey.Span), patientKey.Sign(EncodeConsentStatement()));
    }

    /// <summary>Authorises the write by a grant of the patient's that gives the author append access.</summary>
    public RecordDraft WithGrant(Hash grantId)
    {
        if (grantId.IsZero)
        {
            throw new ArgumentException("A grant id is not zero.", nameof(grantId));
        }

        return this with { Anchor = Anchor with { Authorisation = WriteAuthorisation.Grant, GrantId = grantId, ConsentSigner = Hash.Zero, ConsentSignature = [] } };
    }

    /// <summary>Marks the write as the patient's own (the author key is one of the patient's).</summary>
    public RecordDraft WithPatientAuthor() =>
        this with { Anchor = Anchor with { Authorisation = WriteAuthorisation.PatientAuthor, GrantId = Hash.Zero, ConsentSigner = Hash.Zero, ConsentSignature = [] } };

    /// <summary>The upload body for this draft and its signed anchor transaction.</summary>
    public RecordUploadRequest ToUploadRequest(Transaction anchorTransaction)
    {
        ArgumentNullException.ThrowIfNull(anchorTransaction);
        if (Anchor.Authorisation == WriteAuthorisation.None)
        {
            throw new InvalidOperationException("The write has no authorisation yet: add the patient's consent signature or a grant.");
        }

        return new RecordUploadRequest(Convert.ToBase64String(anchorTransaction.Encoded.Span), Tiers);
    }
}

/// <summary>A record read and verified: the plaintext of every tier the reader was given.</summary>
/// <param name="Record">The record's on-chain facts, as the node reported them.</param>
/// <param name="Parts">Plaintext per tier.</param>
/// <param name="Merged">The parts merged by the caller's merge function, or null when none was given.</param>
/// <param name="GrantId">Grant the node relied on, or null.</param>
/// <param name="Purpose">Purpose the read was logged with.</param>
public sealed record RecordPlaintext(RecordSummary Record, IReadOnlyDictionary<SensitivityTier, byte[]> Parts, byte[]? Merged, string? GrantId, string Purpose);
