namespace MedLedger.Client;

/// <summary>
/// <c>POST /api/v1/records/batch</c>: several record uploads in one signed request (a hospital system bulk-uploading),
/// each exactly a <see cref="RecordUploadRequest"/> with its own signed anchor transaction, all by the signing key.
/// </summary>
/// <param name="Records">1 to <see cref="MaxRecords"/> uploads, in the order their anchors should be admitted (ascending nonces).</param>
public sealed record RecordBatchUploadRequest(IReadOnlyList<RecordUploadRequest> Records)
{
    /// <summary>The most records one batch carries (and the request body limit of 8 MiB applies to the whole batch).</summary>
    public const int MaxRecords = 64;
}

/// <summary>The answer to a batch upload: one result per uploaded record, in the request's order.</summary>
/// <param name="Results">Per-record outcomes.</param>
public sealed record RecordBatchUploadResponse(IReadOnlyList<RecordBatchItemResult> Results);

/// <summary>
/// The outcome of one record of a batch upload. A refused record is not stored, its anchor is not admitted, and the
/// refusal is logged on chain as a denied write, exactly as for a single upload; the other records are unaffected.
/// </summary>
/// <param name="RecordId">Record id, hex (empty when the anchor could not be decoded).</param>
/// <param name="Status"><c>pending</c> (stored and admitted), <c>committed</c> (with <c>?wait=commit</c>) or <c>rejected</c>.</param>
/// <param name="TransactionId">Anchor transaction id, hex (empty when rejected before decoding).</param>
/// <param name="Height">Height it committed at, when waited for.</param>
/// <param name="HttpStatus">For a rejected record, the status a single upload of it would have been answered with.</param>
/// <param name="Code">For a rejected record, the problem code a single upload would have carried (e.g. <c>IntegrityFailure</c>, <c>fhir-missing-field</c>, <c>ConsentMissing</c>).</param>
/// <param name="Detail">For a rejected record, the one-line reason.</param>
public sealed record RecordBatchItemResult(string RecordId, string Status, string TransactionId, ulong? Height = null, int? HttpStatus = null, string? Code = null, string? Detail = null);
