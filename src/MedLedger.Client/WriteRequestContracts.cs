namespace MedLedger.Client;

/// <summary>
/// One record write request (<c>GET /api/v1/write-requests</c>): a doctor's record that waits for the patient's approval
/// in their portal. Metadata only; the content stays sealed at the holding node until the patient approves.
/// </summary>
/// <param name="RecordId">The record id the write would anchor, hex.</param>
/// <param name="Patient">The patient pseudonym asked, hex.</param>
/// <param name="Author">Author key id, hex.</param>
/// <param name="AuthorUser">Author user id, hex.</param>
/// <param name="AuthorName">The author's name on chain.</param>
/// <param name="Organisation">Holding organisation id.</param>
/// <param name="OrganisationName">Holding organisation's name.</param>
/// <param name="Category">Category (camelCase).</param>
/// <param name="Tiers">Tiers the record would have.</param>
/// <param name="Created">Time the author signed.</param>
/// <param name="CreatedHeight">Height of the request.</param>
/// <param name="ExpiresAtHeight">Last height at which it can be answered.</param>
/// <param name="Status">open, approved, declined or expired.</param>
/// <param name="AnsweredHeight">Height of the answer, or null.</param>
/// <param name="Anchor">The anchor payload the patient consents to, base64 of its canonical encoding: a client computes the consent statement from it (<see cref="MedLedgerUserClient.ApproveWriteRequestAsync"/>).</param>
public sealed record WriteRequestSummary(
    string RecordId,
    string Patient,
    string Author,
    string AuthorUser,
    string AuthorName,
    string Organisation,
    string OrganisationName,
    string Category,
    IReadOnlyList<string> Tiers,
    DateTimeOffset Created,
    ulong CreatedHeight,
    ulong ExpiresAtHeight,
    string Status,
    ulong? AnsweredHeight,
    string Anchor);

/// <summary>The caller's write requests: a patient's open ones, or a doctor's latest.</summary>
/// <param name="Requests">Oldest first.</param>
public sealed record WriteRequestListResponse(IReadOnlyList<WriteRequestSummary> Requests);

/// <summary><c>POST /api/v1/write-requests/{recordId}/answer</c>: the patient's signed RecordWriteRespond transaction.</summary>
/// <param name="Transaction">Base64 of its canonical encoding.</param>
public sealed record WriteRequestAnswerRequest(string Transaction);

/// <summary>The answer to a write request, once committed.</summary>
/// <param name="RecordId">Record id, hex.</param>
/// <param name="Status">approved or declined.</param>
/// <param name="TransactionId">The answer's transaction id, hex.</param>
/// <param name="Height">Height it committed at.</param>
public sealed record WriteRequestAnswerResponse(string RecordId, string Status, string TransactionId, ulong? Height);
