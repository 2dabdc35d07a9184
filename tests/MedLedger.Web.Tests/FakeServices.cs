using MedLedger.Web.Services;
using MedLedger.Web.Sessions;

namespace MedLedger.Web.Tests;

/// <summary>Stand-in application services that record what the pages asked for.</summary>
internal sealed class FakeServices : ISignIn, IPatientPortal, IRecordViewer, IDoctorDesk, IAuditDesk, IAdminDesk, IExplorer
{
    private int _calls;

    public int Calls => _calls;

    public WebSession? LastSession { get; private set; }

    public TrackedCredential? LastCredential { get; private set; }

    public string? LastRecordId { get; private set; }

    public bool DenyRecords { get; set; }

    public Task<SignInOutcome> SignInAsync(string username, string passphrase, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        if (passphrase is not ("demo-patient-passphrase" or "demo-staff-passphrase"))
        {
            return Task.FromResult(new SignInOutcome(null, null, "Unknown username or wrong passphrase."));
        }

        LastCredential = new TrackedCredential();
        var role = username.StartsWith("dr.", StringComparison.Ordinal) ? WebRole.Doctor : username.StartsWith("admin.", StringComparison.Ordinal) ? WebRole.OrgAdmin : WebRole.Patient;
        return Task.FromResult(new SignInOutcome(new WebUser(username, new string('c', 64), role, role.ToString(), "st-mary", username), LastCredential, null));
    }

    public Task<WebResult<string>> ChangePassphraseAsync(WebSession session, string current, string replacement, CancellationToken cancellationToken) =>
        Task.FromResult(current is "demo-patient-passphrase" or "demo-staff-passphrase"
            ? WebResult.Ok(session.User.Username, "Your passphrase was changed.")
            : WebResult.Fail<string>(WebOutcome.Invalid, "Unknown username or wrong passphrase."));

    public Task<WebResult<IReadOnlyList<RecordRow>>> TimelineAsync(WebSession session, CancellationToken cancellationToken) => Ok<IReadOnlyList<RecordRow>>(session, []);

    public Task<WebResult<IReadOnlyList<GrantRow>>> GrantsAsync(WebSession session, CancellationToken cancellationToken) => Ok<IReadOnlyList<GrantRow>>(session, []);

    public Task<WebResult<string>> CreateGrantAsync(WebSession session, GrantRequest request, CancellationToken cancellationToken) => Ok(session, string.Empty);

    public Task<WebResult<string>> RevokeGrantAsync(WebSession session, string grantId, CancellationToken cancellationToken) => Ok(session, string.Empty);

    public Task<WebResult<IReadOnlyList<AccessRow>>> WhoViewedAsync(WebSession session, CancellationToken cancellationToken) => Ok<IReadOnlyList<AccessRow>>(session, []);

    public Task<WebResult<WebFile>> ExportRecordsAsync(WebSession session, CancellationToken cancellationToken) => Ok(session, new WebFile("x.json", "application/fhir+json", [(byte)'{', (byte)'}']));

    public Task<WebResult<WebFile>> ExportAccessLogAsync(WebSession session, CancellationToken cancellationToken) => ExportRecordsAsync(session, cancellationToken);

    public Task<WebResult<EmergencyContactsView>> EmergencyContactsAsync(WebSession session, CancellationToken cancellationToken) => Ok(session, new EmergencyContactsView([], 0, null, 5, 2));

    public Task<WebResult<string>> SetEmergencyContactsAsync(WebSession session, EmergencyContactsRequest request, CancellationToken cancellationToken) => Ok(session, string.Empty);

    public AccessRequestSubmission? LastAccessRequest { get; private set; }

    public (string RequestId, bool Approve)? LastAnswer { get; private set; }

    public IReadOnlyList<AccessRequestRow> Requests { get; set; } = [];

    public Task<WebResult<AccessRequestsView>> AccessRequestsAsync(WebSession session, CancellationToken cancellationToken) => Ok(session, new AccessRequestsView([new string('d', 64)], Requests));

    public Task<WebResult<string>> AnswerAccessRequestAsync(WebSession session, string requestId, bool approve, CancellationToken cancellationToken)
    {
        LastAnswer = (requestId, approve);
        return Ok(session, string.Empty);
    }

    public (string RecordId, bool Approve)? LastWriteAnswer { get; private set; }

    public IReadOnlyList<WriteRequestRow> WriteRequests { get; set; } = [];

    public RecordWriteRequest? LastWrite { get; private set; }

    public Task<WebResult<IReadOnlyList<WriteRequestRow>>> WriteRequestsAsync(WebSession session, CancellationToken cancellationToken) => Ok(session, WriteRequests);

    public Task<WebResult<WriteRequestView>> WriteRequestAsync(WebSession session, string recordId, CancellationToken cancellationToken) =>
        WriteRequests.FirstOrDefault(r => r.RecordId == recordId) is { } row
            ? Ok(session, new WriteRequestView(row, [new RecordTierView("generalClinical", "{\"resourceType\":\"Observation\"}", ["Observation: Peanut allergy test"])], null))
            : Task.FromResult(WebResult.Fail<WriteRequestView>(WebOutcome.NotFound, "There is no such write request."));

    public Task<WebResult<string>> AnswerWriteRequestAsync(WebSession session, string recordId, bool approve, CancellationToken cancellationToken)
    {
        LastWriteAnswer = (recordId, approve);
        return Ok(session, string.Empty);
    }

    public Task<WebResult<string>> RequestAccessAsync(WebSession session, AccessRequestSubmission request, CancellationToken cancellationToken)
    {
        LastAccessRequest = request;
        return Ok(session, string.Empty);
    }

    public Task<WebResult<IReadOnlyList<AccessRequestRow>>> MyAccessRequestsAsync(WebSession session, CancellationToken cancellationToken) => Ok(session, Requests);

    public Task<WebResult<IReadOnlyList<WriteRequestRow>>> MyWriteRequestsAsync(WebSession session, CancellationToken cancellationToken) => Ok(session, WriteRequests);

    public Task<WebResult<RecordView>> ReadAsync(WebSession session, string recordId, CancellationToken cancellationToken)
    {
        LastRecordId = recordId;
        return DenyRecords
            ? Task.FromResult(WebResult.Fail<RecordView>(WebOutcome.Denied, "No grant of the patient covers this record for you; the attempt is logged."))
            : Ok(session, new RecordView(new RecordRow(recordId, "p", "a", "A", "st-mary", "examination", DateTimeOffset.UnixEpoch, 1, "active"), [], "treatment", null, true));
    }

    public Task<WebResult<IReadOnlyList<PatientMatch>>> FindPatientAsync(WebSession session, PatientSearch search, CancellationToken cancellationToken) => Ok<IReadOnlyList<PatientMatch>>(session, []);

    public Task<WebResult<IReadOnlyList<RecordRow>>> PatientRecordsAsync(WebSession session, string patient, CancellationToken cancellationToken) => Ok<IReadOnlyList<RecordRow>>(session, []);

    public Task<WebResult<string>> WriteRecordAsync(WebSession session, RecordWriteRequest request, CancellationToken cancellationToken)
    {
        LastWrite = request;
        return Ok(session, string.Empty);
    }

    public Task<WebResult<IReadOnlyList<RecordRow>>> PracticeHistoryAsync(WebSession session, CancellationToken cancellationToken) => Ok<IReadOnlyList<RecordRow>>(session, []);

    public Task<WebResult<IReadOnlyList<AccessRow>>> SearchAsync(WebSession session, AccessFilter filter, CancellationToken cancellationToken) => Ok<IReadOnlyList<AccessRow>>(session, []);

    public Task<WebResult<WebFile>> ExportFhirAsync(WebSession session, AccessFilter filter, CancellationToken cancellationToken) => ExportRecordsAsync(session, cancellationToken);

    public Task<WebResult<AccessVolume>> VolumeAsync(WebSession session, AccessFilter filter, CancellationToken cancellationToken) => Ok(session, new AccessVolume([], TimeSpan.FromHours(1), []));

    public Task<WebResult<IntegrityView>> CheckIntegrityAsync(WebSession session, CancellationToken cancellationToken) => Ok(session, new IntegrityView(0, 0, [], DateTimeOffset.UnixEpoch));

    public Task<WebResult<IReadOnlyList<StaffRow>>> StaffAsync(WebSession session, CancellationToken cancellationToken) => Ok<IReadOnlyList<StaffRow>>(session, []);

    public Task<WebResult<string>> RegisterStaffAsync(WebSession session, StaffRequest request, CancellationToken cancellationToken) => Ok(session, string.Empty);

    public Task<WebResult<string>> RevokeStaffAsync(WebSession session, string keyId, CancellationToken cancellationToken) => Ok(session, string.Empty);

    public Task<WebResult<IReadOnlyList<ProposalRow>>> ProposalsAsync(WebSession session, CancellationToken cancellationToken) => Ok<IReadOnlyList<ProposalRow>>(session, []);

    public Task<WebResult<string>> VoteAsync(WebSession session, string proposalId, CancellationToken cancellationToken) => Ok(session, string.Empty);

    public NodeStatusView Status { get; set; } = new("c", "standard", "n", new string('d', 64), 1, new string('e', 64), DateTimeOffset.UnixEpoch, 0, true, 1, "1", "validator");

    public IReadOnlyList<ValidatorRow> Validators { get; set; } = [];

    public Task<WebResult<NodeStatusView>> StatusAsync(WebSession session, CancellationToken cancellationToken) => Ok(session, Status);

    public Task<WebResult<IReadOnlyList<ValidatorRow>>> ValidatorsAsync(WebSession session, CancellationToken cancellationToken) => Ok(session, Validators);

    public Task<WebResult<IReadOnlyList<BlockRow>>> BlocksAsync(WebSession session, ulong? below, int count, CancellationToken cancellationToken) => Ok<IReadOnlyList<BlockRow>>(session, []);

    public Task<WebResult<BlockView>> BlockAsync(WebSession session, ulong height, CancellationToken cancellationToken) => Task.FromResult(WebResult.Fail<BlockView>(WebOutcome.NotFound, "none"));

    public Task<WebResult<TransactionRow>> TransactionAsync(WebSession session, string transactionId, CancellationToken cancellationToken) => Task.FromResult(WebResult.Fail<TransactionRow>(WebOutcome.NotFound, "none"));

    private Task<WebResult<T>> Ok<T>(WebSession session, T value)
    {
        Interlocked.Increment(ref _calls);
        LastSession = session;
        return Task.FromResult(WebResult.Ok(value));
    }
}
