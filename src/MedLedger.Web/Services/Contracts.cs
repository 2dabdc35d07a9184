namespace MedLedger.Web.Services;

/// <summary>The roles the web UI knows; the node maps its on-chain roles onto these.</summary>
public enum WebRole
{
    /// <summary>A role without pages of its own (researcher, insurer agent): the explorer only.</summary>
    Other = 0,
    Patient = 1,
    Doctor = 2,
    OrgAdmin = 3,
    Auditor = 4,
}

/// <summary>Who is signed in: shown in the page header; ids only, never a health datum.</summary>
/// <param name="Username">The custodial username.</param>
/// <param name="UserId">The user's id (for a patient: their home pseudonym).</param>
/// <param name="Role">The web role.</param>
/// <param name="RoleName">The on-chain role's name, as shown.</param>
/// <param name="Organisation">The user's organisation id.</param>
/// <param name="DisplayName">The on-chain display name (staff), or the username.</param>
public sealed record WebUser(string Username, string UserId, WebRole Role, string RoleName, string Organisation, string DisplayName);

/// <summary>How a web service call ended.</summary>
public enum WebOutcome
{
    Ok = 0,
    /// <summary>Not allowed; the node logged the attempt on chain.</summary>
    Denied = 1,
    NotFound = 2,
    /// <summary>The input was not acceptable; nothing changed.</summary>
    Invalid = 3,
    /// <summary>The node could not do it now (e.g. the access log is unavailable).</summary>
    Unavailable = 4,
}

/// <summary>A web service result: a value, or an outcome with a one-line message for the user.</summary>
public sealed record WebResult<T>(T? Value, WebOutcome Outcome, string Message)
{
    public bool IsOk => Outcome == WebOutcome.Ok;
}

/// <summary>Factories of <see cref="WebResult{T}"/>.</summary>
public static class WebResult
{
    public static WebResult<T> Ok<T>(T value, string message = "") => new(value, WebOutcome.Ok, message);

    public static WebResult<T> Fail<T>(WebOutcome outcome, string message) => new(default, outcome, message);
}

/// <summary>The outcome of a sign-in: the user and an opaque credential the node keeps in the session.</summary>
/// <param name="User">The signed-in user, or null.</param>
/// <param name="Credential">What the node needs to act for the user (their unlocked keys), disposed with the session.
/// Opaque to the web UI: it never sees a key type.</param>
/// <param name="Error">Why the sign-in failed, or null.</param>
public sealed record SignInOutcome(WebUser? User, IDisposable? Credential, string? Error);

/// <summary>A file to download (FHIR Bundle, CSV).</summary>
public sealed record WebFile(string FileName, string ContentType, byte[] Content);

/// <summary>One record in a list (timeline, a patient's records, practice history): ids and metadata only.</summary>
public sealed record RecordRow(string RecordId, string Patient, string AuthorUserId, string AuthorName, string Organisation, string Category, DateTimeOffset Created, ulong Height, string Status);

/// <summary>A record opened for its reader: its metadata and the decrypted FHIR JSON of each tier it may read.</summary>
public sealed record RecordView(RecordRow Record, IReadOnlyList<RecordTierView> Tiers, string Purpose, string? GrantId, bool IntegrityVerified);

/// <summary>One decrypted tier with a short human summary of the FHIR resources in it.</summary>
public sealed record RecordTierView(string Tier, string Json, IReadOnlyList<string> Summary);

/// <summary>A patient's grant as listed.</summary>
public sealed record GrantRow(string GrantId, string ActorKind, string Actor, string ActorLabel, IReadOnlyList<string> Actions, string Purpose, IReadOnlyList<string> Categories, IReadOnlyList<string> Tiers, DateTimeOffset ValidFrom, DateTimeOffset ValidUntil, string Status);

/// <summary>A grant the patient asks for (SPEC F17): to a user (by username), an organisation or a role.</summary>
public sealed record GrantRequest(string ActorKind, string Actor, string Purpose, IReadOnlyList<string> Tiers, IReadOnlyList<string> Categories, bool AllowAppend, int Days);

/// <summary>One emergency contact as shown: the user's id, and the name or username this node knows for it.</summary>
public sealed record EmergencyContactRow(string UserId, string Label, string Role, bool Active);

/// <summary>The emergency contacts of the patient's home pseudonym: who, how many must approve, since which block.</summary>
public sealed record EmergencyContactsView(IReadOnlyList<EmergencyContactRow> Contacts, int Threshold, ulong? SetHeight, int MaxContacts, int DefaultThreshold);

/// <summary>New emergency contacts (usernames at this node or user ids, blanks ignored) and the approvals needed.</summary>
public sealed record EmergencyContactsRequest(IReadOnlyList<string> Contacts, int Threshold);

/// <summary>A doctor's request for read access to a patient pseudonym: coded purpose, tiers, categories (empty: all) and the days asked for.</summary>
public sealed record AccessRequestSubmission(string Patient, string Purpose, IReadOnlyList<string> Tiers, IReadOnlyList<string> Categories, int Days);

/// <summary>One access request as shown: who asked whom, for what, and its status (open, granted, declined or expired).</summary>
public sealed record AccessRequestRow(
    string RequestId,
    string Patient,
    string Requester,
    string RequesterLabel,
    string Organisation,
    string Purpose,
    IReadOnlyList<string> Categories,
    IReadOnlyList<string> Tiers,
    int Days,
    ulong CreatedHeight,
    ulong ExpiresAtHeight,
    string Status,
    string? GrantId);

/// <summary>The patient's pseudonyms (to tell a doctor) and the open requests to them.</summary>
public sealed record AccessRequestsView(IReadOnlyList<string> Pseudonyms, IReadOnlyList<AccessRequestRow> Open);

/// <summary>One access-log entry as shown (ids, never content).</summary>
public sealed record AccessRow(DateTimeOffset Time, string ActorKeyId, string ActorLabel, string ActorRole, string Organisation, string Patient, string? RecordId, string Action, string Purpose, string Outcome, string Reason, ulong Height);

/// <summary>Filters of the auditor's access-log search; null or empty means "any".</summary>
public sealed record AccessFilter(string? Actor = null, string? Patient = null, string? Record = null, string? Organisation = null, string? Purpose = null, string? Outcome = null, string? Action = null, DateTimeOffset? From = null, DateTimeOffset? To = null, int Limit = 200);

/// <summary>Counts of accesses per time bucket, per organisation and purpose (the supervision chart, SPEC F30).</summary>
public sealed record AccessVolume(IReadOnlyList<DateTimeOffset> Buckets, TimeSpan BucketSize, IReadOnlyList<VolumeSeries> Series);

/// <summary>One stacked series of the chart.</summary>
public sealed record VolumeSeries(string Label, IReadOnlyList<int> Counts);

/// <summary>The result of an integrity audit (SPEC F21).</summary>
public sealed record IntegrityView(int Checked, int Intact, IReadOnlyList<string> Failures, DateTimeOffset At);

/// <summary>A doctor's EMPI search: by national id, or by name and birth date. Sent by POST only.</summary>
public sealed record PatientSearch(string? NationalId, string? GivenName, string? FamilyName, string? BirthDate);

/// <summary>A pseudonym the doctor may see (the patient granted them something in force).</summary>
public sealed record PatientMatch(string Pseudonym, string Organisation);

/// <summary>
/// A record a doctor writes with the patient's consent: the patient types their username and passphrase on the
/// doctor's screen to co-sign (SPEC F15), or — <paramref name="AskPatient"/> — approves it later in their portal, when the
/// username and passphrase are not used.
/// </summary>
public sealed record RecordWriteRequest(string Patient, string Category, string FhirJson, string PatientUsername, string PatientPassphrase, bool AskPatient = false);

/// <summary>
/// One record write waiting for the patient's approval, opened for review: its metadata and the decrypted FHIR JSON of
/// each tier (verified against the requested anchor), or why the content cannot be shown (the metadata still can).
/// </summary>
public sealed record WriteRequestView(WriteRequestRow Request, IReadOnlyList<RecordTierView> Tiers, string? ContentProblem);

/// <summary>A record write waiting for the patient's approval: who wrote what (metadata only) and until which block it stays open.</summary>
public sealed record WriteRequestRow(string RecordId, string Patient, string AuthorName, string Organisation, string Category, IReadOnlyList<string> Tiers, DateTimeOffset Created, ulong ExpiresAtHeight, string Status);

/// <summary>A staff member of the admin's organisation.</summary>
public sealed record StaffRow(string KeyId, string UserId, string Name, string Role, bool Active, ulong RegisteredHeight);

/// <summary>A new staff member: custodial keys under the passphrase, registered on chain by the admin.</summary>
public sealed record StaffRequest(string Username, string Name, string Role, string Passphrase);

/// <summary>A pending admission/removal proposal.</summary>
public sealed record ProposalRow(string ProposalId, string Kind, string Organisation, string Name, int Votes, int Needed, bool VotedByMe);

/// <summary>
/// The node's status as every signed-in user may see it. <c>NodeRole</c> is the node's role in the consortium
/// (SPEC F8: validator, verifier, auditor or none); <c>Credit</c> its own credit record, or null (no credit on this
/// chain, or no record for its key); <c>Epoch</c> the epoch of the next block, or null on a chain without credit (the
/// genesis set stays); <c>ConnectedPeers</c> the peers it is connected to, or null on a single-validator chain, which
/// runs no peer network (shown as "—").
/// </summary>
public sealed record NodeStatusView(string ChainId, string Suite, string NodeName, string NodeKeyId, ulong Height, string LastBlockHash, DateTimeOffset LastBlockTime, int Mempool, bool IsValidator, int ValidatorCount, string Version, string NodeRole = "none", CreditView? Credit = null, EpochView? Epoch = null, int? ConnectedPeers = null)
{
    /// <summary>True when the chain keeps credit scores and holds elections (its genesis has a credit section).</summary>
    public bool CreditEnabled => Epoch is not null;
}

/// <summary>A node's credit score and the counters behind it (SPEC F8).</summary>
public sealed record CreditView(ulong Score, bool Jailed, ulong ProposedBlocks, ulong SignedCommits, ulong MissedCommits, ulong DataRecords, uint Offences);

/// <summary>The epoch of the next block: its number, first height, and the height at whose end the next election runs.</summary>
public sealed record EpochView(ulong Number, ulong StartHeight, ulong NextElectionHeight);

/// <summary>
/// A consortium node in the explorer: the validators of the next block first, then the other scored nodes (verifiers,
/// auditors). <paramref name="Power"/> is 0 for a node outside the set; <paramref name="Credit"/> is null when the
/// chain keeps no credit or the key has no credit record.
/// </summary>
public sealed record ValidatorRow(string KeyId, string Name, string Organisation, string Role, long Power, ulong? Credit, bool Jailed);

/// <summary>A block header in the explorer.</summary>
public sealed record BlockRow(ulong Height, string Hash, DateTimeOffset Time, int Transactions, string Proposer, string PreviousHash, string StateRoot);

/// <summary>A block with its transactions' ids and types.</summary>
public sealed record BlockView(BlockRow Block, IReadOnlyList<TransactionRow> Transactions, int CommitSignatures);

/// <summary>A transaction as the explorer shows it: envelope facts only, never a payload (which may name pseudonyms).</summary>
public sealed record TransactionRow(string Id, string Type, string Sender, ulong Nonce, string Status, ulong? Height, int? Index, int SizeBytes, bool ProofVerified);
