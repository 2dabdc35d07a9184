using MedLedger.Ledger;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace MedLedger.Node.Api;

/// <summary>RFC 9457 problem+json responses with a stable machine-readable <c>code</c> extension.</summary>
public static class Problems
{
    public static ProblemHttpResult Create(int status, string title, string detail, string code) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title, extensions: new Dictionary<string, object?> { ["code"] = code });

    /// <summary>The HTTP status for a refused transaction.</summary>
    public static int StatusFor(TransactionRejection rejection) => rejection switch
    {
        TransactionRejection.Malformed or TransactionRejection.InvalidPayload or TransactionRejection.UnknownType
            or TransactionRejection.WrongChain or TransactionRejection.ExpiryTooFar => StatusCodes.Status400BadRequest,
        TransactionRejection.UnknownSender or TransactionRejection.InvalidSignature => StatusCodes.Status401Unauthorized,
        TransactionRejection.SenderRevoked or TransactionRejection.NotAuthorized => StatusCodes.Status403Forbidden,
        TransactionRejection.NonceReused or TransactionRejection.Duplicate or TransactionRejection.AlreadyExists => StatusCodes.Status409Conflict,
        TransactionRejection.MempoolFull => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status422UnprocessableEntity,
    };
}
