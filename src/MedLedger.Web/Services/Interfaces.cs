using MedLedger.Web.Sessions;

namespace MedLedger.Web.Services;

// The application services the pages call (ARCHITECTURE §2, §10). MedLedger.Node implements them over its own
// services; every method authorises the session's user first and logs a refused attempt on chain, so a page can
// never reach data its user may not see, whatever it renders.

/// <summary>Sign-in at the user's home node: opens the custodial keys with the passphrase.</summary>
public interface ISignIn
{
    Task<SignInOutcome> SignInAsync(string username, string passphrase, CancellationToken cancellationToken);

    /// <summary>Seals the signed-in user's custodial vault under a new passphrase (the current one is checked again).</summary>
    Task<WebResult<string>> ChangePassphraseAsync(WebSession session, string current, string replacement, CancellationToken cancellationToken);
}

/// <summary>What a patient does (SPEC F17, F20, F29).</summary>
public interface IPatientPortal
{
    Task<WebResult<IReadOnlyList<RecordRow>>> TimelineAsync(WebSession session, CancellationToken cancellationToken);

    Task<WebResult<IReadOnlyList<GrantRow>>> GrantsAsync(WebSession session, CancellationToken cancellationToken);

    Task<WebResult<string>> CreateGrantAsync(WebSession session, GrantRequest request, CancellationToken cancellationToken);

    Task<WebResult<string>> RevokeGrantAsync(WebSession session, string grantId, CancellationToken cancellationToken);

    Task<WebResult<IReadOnlyList<AccessRow>>> WhoViewedAsync(WebSession session, CancellationToken cancellationToken);

    Task<WebResult<WebFile>> ExportRecordsAsync(WebSession session, CancellationToken cancellationToken);

    Task<WebResult<WebFile>> ExportAccessLogAsync(WebSession session, CancellationToken cancellationToken);

    /// <summary>The patient's emergency contacts (SPEC F24), as set on chain for their home pseudonym.</summary>
    Task<WebResult<EmergencyContactsView>> EmergencyContactsAsync(WebSession session, CancellationToken cancellationToken);

    /// <summary>Replaces the patient's emergency contacts on chain, for every pseudonym of theirs (an empty list clears them).</summary>
    Task<WebResult<string>> SetEmergencyContactsAsync(WebSession session, EmergencyContactsRequest request, CancellationToken cancellationToken);

    /// <summary>The patient's pseudonyms and the open access requests doctors sent to them.</summary>
    Task<WebResult<AccessRequestsView>> AccessRequestsAsync(WebSession session, CancellationToken cancellationToken);

    /// <summary>Answers an open access request: approving grants exactly what was asked, then answers with that grant; declining answers with none.</summary>
    Task<WebResult<string>> AnswerAccessRequestAsync(WebSession session, string requestId, bool approve, CancellationToken cancellationToken);

    /// <summary>The record writes doctors sent for the patient's approval (open ones, across the patient's pseudonyms).</summary>
    Task<WebResult<IReadOnlyList<WriteRequestRow>>> WriteRequestsAsync(WebSession session, CancellationToken cancellationToken);

    /// <summary>One open write request to the patient with its content, decrypted and verified, for review before answering (the view is logged as the patient's read).</summary>
    Task<WebResult<WriteRequestView>> WriteRequestAsync(WebSession session, string recordId, CancellationToken cancellationToken);

    /// <summary>Answers a write request: approving co-signs the write with the pseudonym's key (the record is anchored); declining leaves no record.</summary>
    Task<WebResult<string>> AnswerWriteRequestAsync(WebSession session, string recordId, bool approve, CancellationToken cancellationToken);
}

/// <summary>Reading one record, for whoever may (the patient, a granted doctor): logged on chain either way.</summary>
public interface IRecordViewer
{
    Task<WebResult<RecordView>> ReadAsync(WebSession session, string recordId, CancellationToken cancellationToken);
}

/// <summary>What a doctor does (SPEC F5, F15, F16).</summary>
public interface IDoctorDesk
{
    Task<WebResult<IReadOnlyList<PatientMatch>>> FindPatientAsync(WebSession session, PatientSearch search, CancellationToken cancellationToken);

    Task<WebResult<IReadOnlyList<RecordRow>>> PatientRecordsAsync(WebSession session, string patient, CancellationToken cancellationToken);

    Task<WebResult<string>> WriteRecordAsync(WebSession session, RecordWriteRequest request, CancellationToken cancellationToken);

    Task<WebResult<IReadOnlyList<RecordRow>>> PracticeHistoryAsync(WebSession session, CancellationToken cancellationToken);

    /// <summary>Asks a patient pseudonym for read access on chain, signed with the doctor's key.</summary>
    Task<WebResult<string>> RequestAccessAsync(WebSession session, AccessRequestSubmission request, CancellationToken cancellationToken);

    /// <summary>The doctor's latest access requests, newest first, with their status.</summary>
    Task<WebResult<IReadOnlyList<AccessRequestRow>>> MyAccessRequestsAsync(WebSession session, CancellationToken cancellationToken);

    /// <summary>The records the doctor asked patients to approve (latest first): open, approved, declined or expired.</summary>
    Task<WebResult<IReadOnlyList<WriteRequestRow>>> MyWriteRequestsAsync(WebSession session, CancellationToken cancellationToken);
}

/// <summary>What an auditor does (SPEC F20, F21, F30).</summary>
public interface IAuditDesk
{
    Task<WebResult<IReadOnlyList<AccessRow>>> SearchAsync(WebSession session, AccessFilter filter, CancellationToken cancellationToken);

    Task<WebResult<WebFile>> ExportFhirAsync(WebSession session, AccessFilter filter, CancellationToken cancellationToken);

    Task<WebResult<AccessVolume>> VolumeAsync(WebSession session, AccessFilter filter, CancellationToken cancellationToken);

    Task<WebResult<IntegrityView>> CheckIntegrityAsync(WebSession session, CancellationToken cancellationToken);
}

/// <summary>What an organisation's administrator does (SPEC F2, F3).</summary>
public interface IAdminDesk
{
    Task<WebResult<IReadOnlyList<StaffRow>>> StaffAsync(WebSession session, CancellationToken cancellationToken);

    Task<WebResult<string>> RegisterStaffAsync(WebSession session, StaffRequest request, CancellationToken cancellationToken);

    Task<WebResult<string>> RevokeStaffAsync(WebSession session, string keyId, CancellationToken cancellationToken);

    Task<WebResult<IReadOnlyList<ProposalRow>>> ProposalsAsync(WebSession session, CancellationToken cancellationToken);

    Task<WebResult<string>> VoteAsync(WebSession session, string proposalId, CancellationToken cancellationToken);
}

/// <summary>The chain explorer for every signed-in user: no private content.</summary>
public interface IExplorer
{
    Task<WebResult<NodeStatusView>> StatusAsync(WebSession session, CancellationToken cancellationToken);

    Task<WebResult<IReadOnlyList<ValidatorRow>>> ValidatorsAsync(WebSession session, CancellationToken cancellationToken);

    Task<WebResult<IReadOnlyList<BlockRow>>> BlocksAsync(WebSession session, ulong? below, int count, CancellationToken cancellationToken);

    Task<WebResult<BlockView>> BlockAsync(WebSession session, ulong height, CancellationToken cancellationToken);

    Task<WebResult<TransactionRow>> TransactionAsync(WebSession session, string transactionId, CancellationToken cancellationToken);
}
