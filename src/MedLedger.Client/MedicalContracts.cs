namespace MedLedger.Client;

// JSON contracts of the medical endpoints (docs/api.md). Hashes and key ids are lowercase hex, binary data base64,
// enums camelCase strings (e.g. "generalClinical", "treatment"), times ISO 8601 UTC.

/// <summary>A member organisation.</summary>
/// <param name="Id">Organisation id.</param>
/// <param name="Name">Display name.</param>
/// <param name="Kind">hospital, clinic, insurer, elderlyCare, researchInstitute or regulator.</param>
/// <param name="Tier">Tier label (e.g. tertiary), may be empty.</param>
/// <param name="EncryptionKey">Public key record data keys are wrapped for, hex.</param>
/// <param name="Endpoint">Base address of the node holding its records.</param>
/// <param name="Status">active or removed.</param>
/// <param name="AdmittedHeight">Height of admission (0: genesis).</param>
public sealed record OrganisationInfo(string Id, string Name, string Kind, string Tier, string EncryptionKey, string Endpoint, string Status, ulong AdmittedHeight);

/// <summary>A user, by user id (stable across key rotation).</summary>
/// <param name="UserId">User id, hex.</param>
/// <param name="CurrentKey">Key id of the current key, hex.</param>
/// <param name="PublicKey">Current public key, hex.</param>
/// <param name="Role">Role (camelCase).</param>
/// <param name="Organisation">Organisation id.</param>
/// <param name="Name">Name (empty for patients).</param>
/// <param name="Active">False when revoked.</param>
public sealed record UserInfo(string UserId, string CurrentKey, string PublicKey, string Role, string Organisation, string Name, bool Active);

/// <summary>One tier of a record upload.</summary>
/// <param name="Tier">identity, generalClinical or sensitive.</param>
/// <param name="Ciphertext">The sealed tier, base64.</param>
/// <param name="PatientEnvelope">Data key wrapped for the patient's key, base64.</param>
/// <param name="OrganisationEnvelope">Data key wrapped for the holding organisation's key, base64.</param>
public sealed record RecordTierUpload(string Tier, string Ciphertext, string PatientEnvelope, string OrganisationEnvelope);

/// <summary><c>POST /api/v1/records</c>: the signed anchor transaction and the sealed tiers.</summary>
/// <param name="Transaction">The signed RecordAnchor transaction, base64 of its canonical encoding.</param>
/// <param name="Tiers">One entry per tier the anchor names.</param>
public sealed record RecordUploadRequest(string Transaction, IReadOnlyList<RecordTierUpload> Tiers);

/// <summary>The answer to a record upload.</summary>
/// <param name="RecordId">Record id, hex.</param>
/// <param name="TransactionId">Anchor transaction id, hex.</param>
/// <param name="Height">Height it committed at (null when not waited for).</param>
public sealed record RecordUploadResponse(string RecordId, string TransactionId, ulong? Height);

/// <summary>A record's on-chain facts, without content.</summary>
/// <param name="RecordId">Record id, hex.</param>
/// <param name="Patient">Patient pseudonym (user id), hex.</param>
/// <param name="Author">Author key id, hex.</param>
/// <param name="AuthorUser">Author user id, hex.</param>
/// <param name="Organisation">Holding organisation.</param>
/// <param name="Category">Category (camelCase).</param>
/// <param name="Created">Time the author signed.</param>
/// <param name="Tiers">Tiers the record has.</param>
/// <param name="Height">Anchoring height.</param>
/// <param name="Status">active or erased.</param>
public sealed record RecordSummary(string RecordId, string Patient, string Author, string AuthorUser, string Organisation, string Category, DateTimeOffset Created, IReadOnlyList<string> Tiers, ulong Height, string Status);

/// <summary>One tier of a read: ciphertext and the data key wrapped for the reader.</summary>
/// <param name="Tier">Tier.</param>
/// <param name="ContentAddress">On-chain hash of the ciphertext, hex.</param>
/// <param name="Commitment">On-chain salted commitment to the plaintext, hex.</param>
/// <param name="Ciphertext">Sealed tier, base64.</param>
/// <param name="Envelope">Data key wrapped (static form) from the organisation's key to the reader's key, base64.</param>
public sealed record RecordTierContent(string Tier, string ContentAddress, string Commitment, string Ciphertext, string Envelope);

/// <summary><c>GET /api/v1/records/{id}</c>: what the reader may see, to be verified and decrypted by the reader.</summary>
/// <param name="Record">On-chain facts.</param>
/// <param name="OrganisationKey">Holding organisation's public key (the envelopes' sender), hex.</param>
/// <param name="Tiers">The tiers the reader is allowed.</param>
/// <param name="GrantId">Grant relied on, hex, or null (patient, author).</param>
/// <param name="Purpose">Purpose the access was logged with.</param>
/// <param name="RequestHash">Hash of the signed request, as logged, hex.</param>
public sealed record RecordContentResponse(RecordSummary Record, string OrganisationKey, IReadOnlyList<RecordTierContent> Tiers, string? GrantId, string Purpose, string RequestHash);

/// <summary>A list of records.</summary>
/// <param name="Records">Newest first.</param>
public sealed record RecordListResponse(IReadOnlyList<RecordSummary> Records);

/// <summary>One access-log entry.</summary>
/// <param name="Sequence">Index sequence (for paging with <c>before</c>).</param>
/// <param name="Height">Block height.</param>
/// <param name="TransactionId">Transaction that carries it, hex.</param>
/// <param name="Organisation">Organisation whose node or user produced it.</param>
/// <param name="Time">When.</param>
/// <param name="Actor">Key id that acted or asked, hex.</param>
/// <param name="Patient">Patient pseudonym, hex, or null.</param>
/// <param name="RecordId">Record, hex, or null.</param>
/// <param name="Action">read, write, grant, revoke, search, erase, deidentified, integrityCheck.</param>
/// <param name="Purpose">Purpose (camelCase) or none.</param>
/// <param name="Outcome">allowed or denied.</param>
/// <param name="Reason">Denial reason (camelCase) or none.</param>
/// <param name="GrantId">Grant relied on, hex, or null.</param>
/// <param name="RequestHash">Hash of the signed request, hex, or null.</param>
public sealed record AccessLogEntryInfo(long Sequence, ulong Height, string TransactionId, string Organisation, DateTimeOffset Time, string Actor, string? Patient, string? RecordId, string Action, string Purpose, string Outcome, string Reason, string? GrantId, string? RequestHash);

/// <summary>A page of the access log.</summary>
/// <param name="Entries">Newest first.</param>
/// <param name="NextBefore">Pass as <c>before</c> for the next page, or null at the end.</param>
public sealed record AccessLogResponse(IReadOnlyList<AccessLogEntryInfo> Entries, long? NextBefore);

/// <summary>A grant.</summary>
/// <param name="GrantId">Grant id, hex.</param>
/// <param name="Patient">Granting pseudonym, hex.</param>
/// <param name="ActorKind">user, organisation or role.</param>
/// <param name="Actor">User id hex, organisation id, or role.</param>
/// <param name="Actions">read and/or append.</param>
/// <param name="Purpose">Purpose.</param>
/// <param name="Categories">Categories (empty: all).</param>
/// <param name="Tiers">Tiers.</param>
/// <param name="Records">Single records (empty: all matching).</param>
/// <param name="ValidFrom">Start.</param>
/// <param name="ValidUntil">End.</param>
/// <param name="Height">Height granted at.</param>
/// <param name="Status">active, expired, notYetValid or revoked (at the node's clock).</param>
public sealed record GrantInfo(string GrantId, string Patient, string ActorKind, string Actor, IReadOnlyList<string> Actions, string Purpose, IReadOnlyList<string> Categories, IReadOnlyList<string> Tiers, IReadOnlyList<string> Records, DateTimeOffset ValidFrom, DateTimeOffset ValidUntil, ulong Height, string Status);

/// <summary>A list of grants.</summary>
/// <param name="Grants">Grants, oldest first.</param>
public sealed record GrantListResponse(IReadOnlyList<GrantInfo> Grants);

/// <summary><c>POST /api/v1/patients</c>: a doctor or org admin enrols a patient in custody at this (home) node.</summary>
/// <param name="Username">Login name for the patient.</param>
/// <param name="Passphrase">The patient's passphrase (≥ 8 characters), sealing their keys; never stored.</param>
/// <param name="GivenName">Given name (EMPI only, never on chain).</param>
/// <param name="FamilyName">Family name (EMPI only).</param>
/// <param name="NationalId">National id (EMPI only).</param>
/// <param name="BirthDate">Birth date yyyy-MM-dd (EMPI only).</param>
/// <param name="Sex">female, male, other or unknown.</param>
/// <param name="PostalCode">Postal code (EMPI only).</param>
public sealed record PatientEnrolmentRequest(string Username, string Passphrase, string GivenName, string FamilyName, string NationalId, string BirthDate, string Sex, string PostalCode);

/// <summary>The enrolled patient's first pseudonym key, for the registering transaction the caller signs.</summary>
/// <param name="Username">Login name.</param>
/// <param name="PublicKey">Pseudonym public key, hex.</param>
/// <param name="KeyId">Pseudonym key id (= user id), hex.</param>
public sealed record PatientEnrolmentResponse(string Username, string PublicKey, string KeyId);

/// <summary><c>POST /api/v1/custody/export</c>: a custodial user exports their sealed vault.</summary>
/// <param name="Username">Login name.</param>
/// <param name="Passphrase">Passphrase (checked before the vault is released).</param>
public sealed record VaultExportRequest(string Username, string Passphrase);

/// <summary><c>POST /api/v1/custody/passphrase</c>: a custodial user replaces the passphrase their vault is sealed under.</summary>
/// <param name="Username">Login name.</param>
/// <param name="Passphrase">The current passphrase (checked and throttled like a sign-in).</param>
/// <param name="NewPassphrase">The new passphrase, 8..1024 characters, different from the current one.</param>
public sealed record PassphraseChangeRequest(string Username, string Passphrase, string NewPassphrase);

/// <summary>The vault was sealed again under the new passphrase.</summary>
/// <param name="Username">Login name.</param>
/// <param name="Keys">How many keys the vault holds (unchanged by the new passphrase).</param>
public sealed record PassphraseChangeResponse(string Username, int Keys);

/// <summary>The sealed vault (medledger-vault/1 JSON), base64; open it with the passphrase.</summary>
/// <param name="Vault">Vault bytes, base64.</param>
public sealed record VaultExportResponse(string Vault);

/// <summary><c>POST /api/v1/empi/search</c>: find a patient at this home node (needs the patient's grant).</summary>
/// <param name="NationalId">National id, or null.</param>
/// <param name="FamilyName">Family name (with given name and birth date), or null.</param>
/// <param name="GivenName">Given name, or null.</param>
/// <param name="BirthDate">Birth date yyyy-MM-dd, or null.</param>
public sealed record EmpiSearchRequest(string? NationalId, string? FamilyName, string? GivenName, string? BirthDate);

/// <summary>A pseudonym the caller may use.</summary>
/// <param name="Pseudonym">Patient user id, hex.</param>
/// <param name="Organisation">Organisation of the relationship.</param>
public sealed record EmpiMatch(string Pseudonym, string Organisation);

/// <summary>EMPI results (only pseudonyms whose patient granted the caller something in force).</summary>
/// <param name="Matches">Matches.</param>
public sealed record EmpiSearchResponse(IReadOnlyList<EmpiMatch> Matches);

/// <summary>One integrity failure.</summary>
/// <param name="RecordId">Record, hex.</param>
/// <param name="Tier">Tier.</param>
/// <param name="Reason">What does not match.</param>
public sealed record IntegrityFailure(string RecordId, string Tier, string Reason);

/// <summary><c>POST /api/v1/audit/integrity</c>: stored ciphertext checked against on-chain anchors.</summary>
/// <param name="Checked">Blobs checked.</param>
/// <param name="Passed">Blobs that match.</param>
/// <param name="Failures">Mismatches (each is also logged on chain).</param>
/// <param name="CheckedAt">When.</param>
public sealed record IntegrityReport(int Checked, int Passed, IReadOnlyList<IntegrityFailure> Failures, DateTimeOffset CheckedAt);

/// <summary><c>POST /api/v1/staff</c>: an org admin creates a custodial staff user at this node (key sealed under the passphrase).</summary>
/// <param name="Username">Login name.</param>
/// <param name="Passphrase">The user's passphrase (≥ 8 characters); never stored.</param>
/// <param name="Role">doctor, orgAdmin, auditor, researcher or insurerAgent (must fit the organisation's kind).</param>
/// <param name="Name">The name shown on chain.</param>
public sealed record StaffEnrolmentRequest(string Username, string Passphrase, string Role, string Name);

/// <summary>The new staff key, for the registering transaction the org admin signs.</summary>
/// <param name="Username">Login name.</param>
/// <param name="PublicKey">Public key, hex.</param>
/// <param name="KeyId">Key id (= user id), hex.</param>
public sealed record StaffEnrolmentResponse(string Username, string PublicKey, string KeyId);

/// <summary><c>POST /api/v1/research/deidentified</c>: de-identified records under the consortium policy (SPEC F14, F18).</summary>
/// <param name="Category">Only this category (camelCase), or null for every category the policy allows.</param>
/// <param name="K">The k of k-anonymity (2..1000; default 5): records in smaller classes are suppressed.</param>
/// <param name="Limit">Most records considered (1..1000; default 500).</param>
public sealed record DeidentifiedRequest(string? Category, int? K, int? Limit);

/// <summary>De-identified FHIR documents released under the policy, and what k-anonymity suppressed.</summary>
/// <param name="Records">Each a de-identified FHIR document (JSON).</param>
/// <param name="Suppressed">Records withheld because their quasi-identifier class was smaller than k.</param>
/// <param name="K">The k applied.</param>
/// <param name="Tiers">The tiers the policy released.</param>
public sealed record DeidentifiedResponse(IReadOnlyList<System.Text.Json.JsonElement> Records, int Suppressed, int K, IReadOnlyList<string> Tiers);

/// <summary>
/// <c>POST /api/v1/custody/pseudonyms</c>: a custodial patient asks their home node for a new pseudonym for a
/// relationship with another institution (SPEC F5). The node adds a fresh key to the patient's vault (re-sealed under
/// the same passphrase) and to their EMPI entry; a doctor or org admin of <paramref name="Organisation"/> then
/// registers the returned key on chain as a patient of that organisation.
/// </summary>
/// <param name="Username">The patient's login name at the home node.</param>
/// <param name="Passphrase">Their passphrase.</param>
/// <param name="Organisation">The institution the pseudonym is for.</param>
public sealed record PseudonymRequest(string Username, string Passphrase, string Organisation);

/// <summary>The new pseudonym's key.</summary>
/// <param name="PublicKey">Public key, hex.</param>
/// <param name="KeyId">Key id (= the pseudonym's user id), hex.</param>
/// <param name="Organisation">The institution it is for.</param>
public sealed record PseudonymResponse(string PublicKey, string KeyId, string Organisation);
