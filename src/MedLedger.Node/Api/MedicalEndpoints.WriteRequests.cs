using MedLedger.Client;
using MedLedger.Core;
using MedLedger.Ledger;
using MedLedger.Node.Medical;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace MedLedger.Node.Api;

// Record write requests (issue 5): the doctor uploads in pending mode through POST /records (a RecordWriteRequest
// instead of a RecordAnchor); the patient lists what waits for them and answers with their signed RecordWriteRespond.
public static partial class MedicalEndpoints
{
    private static void MapWriteRequestEndpoints(RouteGroupBuilder api)
    {
        api.MapGet("/write-requests", (HttpContext context, Gate gate, RecordService records) => gate.RunAsync(context, AccessAction.Search, Hash.Zero, Hash.Zero, async caller =>
                ToResult(await records.ListWriteRequestsAsync(caller, context.RequestAborted).ConfigureAwait(false))))
            .WithName("ListWriteRequests").Produces<WriteRequestListResponse>().ProducesProblem(401).ProducesProblem(403)
            .WithSummary("Record writes waiting for the patient's approval: a patient's open ones, or a doctor's latest with their status (signed).");

        api.MapGet("/write-requests/{recordId}/content", (HttpContext context, string recordId, Gate gate, RecordService records, LedgerStateMachine ledger) =>
            {
                if (!Hash.TryParse(recordId, out var id))
                {
                    return Task.FromResult<IResult>(Malformed("A record id is 64 hexadecimal characters."));
                }

                var patient = ledger.GetWriteRequest(id)?.Patient ?? Hash.Zero;
                return gate.RunAsync(context, AccessAction.Read, patient, id, async caller =>
                    ToResult(await records.ReadWriteRequestAsync(caller, id, context.RequestAborted).ConfigureAwait(false)));
            })
            .WithName("ReadWriteRequest").Produces<RecordContentResponse>().ProducesProblem(401).ProducesProblem(403).ProducesProblem(404).ProducesProblem(409).ProducesProblem(421)
            .WithSummary("The patient asked sees the content of an open write request before answering: the tiers with data keys wrapped for them, at the holding node; logged as their read (signed).");

        api.MapPost("/write-requests/{recordId}/answer", (HttpContext context, string recordId, Gate gate, RecordService records, LedgerStateMachine ledger) =>
            {
                if (!Hash.TryParse(recordId, out var id))
                {
                    return Task.FromResult<IResult>(Malformed("A record id is 64 hexadecimal characters."));
                }

                var patient = ledger.GetWriteRequest(id)?.Patient ?? Hash.Zero;
                return gate.RunAsync(context, AccessAction.Write, patient, id, async caller =>
                    Read<WriteRequestAnswerRequest>(caller) is { } request
                        ? ToResult(await records.AnswerWriteRequestAsync(caller, id, request, context.RequestAborted).ConfigureAwait(false))
                        : Malformed("The body is not a write request answer."));
            })
            .WithName("AnswerWriteRequest").Accepts<WriteRequestAnswerRequest>("application/json").Produces<WriteRequestAnswerResponse>().ProducesProblem(400).ProducesProblem(401).ProducesProblem(403).ProducesProblem(404).ProducesProblem(422)
            .WithSummary("The patient approves (their consent signature) or declines a record write request with their signed RecordWriteRespond; answered once committed (signed).");
    }
}
