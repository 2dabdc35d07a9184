using MedLedger.Client;
using MedLedger.Core;
using MedLedger.Ledger;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace MedLedger.Node.Api;

/// <summary>The ledger's REST endpoints under <c>/api/v1</c> (docs/api.md).</summary>
public static class LedgerEndpoints
{
    /// <summary>How long <c>?wait=commit</c> holds a request at most.</summary>
    public static readonly TimeSpan MaxCommitWait = TimeSpan.FromSeconds(30);

    public static void MapLedgerEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").WithTags("Ledger");

        api.MapGet("/status", (LedgerService ledger) => TypedResults.Ok(ledger.GetStatus()))
            .WithName("GetStatus")
            .WithSummary("The node's chain, height, latest block and state root.");

        api.MapGet("/blocks/{height}", Results<Ok<BlockInfo>, ProblemHttpResult> (ulong height, LedgerService ledger) =>
                ledger.GetBlock(height) is { } block
                    ? TypedResults.Ok(block)
                    : Problems.Create(StatusCodes.Status404NotFound, "No such block", $"There is no committed block at height {height}.", "NotFound"))
            .WithName("GetBlock")
            .WithSummary("A committed block: header, transaction ids and commit certificate.");

        api.MapGet("/transactions/{id}", Results<Ok<TransactionInfo>, ProblemHttpResult> (string id, LedgerService ledger) =>
            {
                if (!Hash.TryParse(id, out var transactionId))
                {
                    return Problems.Create(StatusCodes.Status400BadRequest, "Invalid transaction id", "A transaction id is 64 hexadecimal characters.", "Malformed");
                }

                return ledger.GetTransaction(transactionId) is { } transaction
                    ? TypedResults.Ok(transaction)
                    : Problems.Create(StatusCodes.Status404NotFound, "No such transaction", "The node knows no committed or pending transaction with this id.", "NotFound");
            })
            .WithName("GetTransaction")
            .WithSummary("A transaction, pending or committed; committed ones come with a Merkle inclusion proof.");

        api.MapGet("/accounts/{keyId}", Results<Ok<AccountInfo>, ProblemHttpResult> (string keyId, LedgerService ledger) =>
            {
                if (!Hash.TryParse(keyId, out var id))
                {
                    return Problems.Create(StatusCodes.Status400BadRequest, "Invalid key id", "A key id is 64 hexadecimal characters.", "Malformed");
                }

                return ledger.GetAccount(id) is { } account
                    ? TypedResults.Ok(account)
                    : Problems.Create(StatusCodes.Status404NotFound, "No such account", "No account is registered under this key id.", "NotFound");
            })
            .WithName("GetAccount")
            .WithSummary("A registered account (public key, role, last nonce, revocation).");

        api.MapPost("/transactions", SubmitAsync)
            .WithName("SubmitTransactions")
            .WithSummary("Submits one signed transaction or a batch; with ?wait=commit, answers once they are committed.");
    }

    private static async Task<Results<Ok<SubmitTransactionsResponse>, Accepted<SubmitTransactionsResponse>, ProblemHttpResult>> SubmitAsync(
        SubmitTransactionsRequest request, string? wait, LedgerService ledger, CancellationToken cancellationToken)
    {
        if (wait is not null && wait != "commit")
        {
            return Problems.Create(StatusCodes.Status400BadRequest, "Invalid wait", "The only value of 'wait' is 'commit'.", "Malformed");
        }

        var single = request.Transaction is not null;
        if (single == (request.Transactions is not null))
        {
            return Problems.Create(StatusCodes.Status400BadRequest, "Invalid request", "Give either 'transaction' or 'transactions'.", "Malformed");
        }

        var encoded = single ? [request.Transaction!] : request.Transactions!;
        if (encoded.Count == 0 || encoded.Count > Limits.MaxTransactionsPerRequest)
        {
            return Problems.Create(StatusCodes.Status400BadRequest, "Invalid batch size", $"A batch holds 1 to {Limits.MaxTransactionsPerRequest} transactions.", "Malformed");
        }

        var bytes = new byte[encoded.Count][];
        for (var i = 0; i < encoded.Count; i++)
        {
            try
            {
                bytes[i] = Convert.FromBase64String(encoded[i] ?? string.Empty);
            }
            catch (FormatException)
            {
                return Problems.Create(StatusCodes.Status400BadRequest, "Invalid encoding", $"Transaction {i} is not base64.", "Malformed");
            }
        }

        var results = await ledger.SubmitAsync(bytes, wait is null ? null : MaxCommitWait, cancellationToken).ConfigureAwait(false);
        var response = new SubmitTransactionsResponse(results);
        if (single && results[0].Status == "rejected")
        {
            var rejection = Enum.Parse<TransactionRejection>(results[0].Code!);
            return Problems.Create(Problems.StatusFor(rejection), "Transaction rejected", results[0].Reason ?? rejection.ToString(), rejection.ToString());
        }

        return results.All(r => r.Status == "committed") ? TypedResults.Ok(response) : TypedResults.Accepted((string?)null, response);
    }
}
