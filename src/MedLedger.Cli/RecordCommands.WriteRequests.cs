using System.CommandLine;
using MedLedger.Client;

namespace MedLedger.Cli;

// Record write requests (issue 5): `record put --pending` asks the patient to approve a write in their portal;
// `record pending` lists what waits (a patient's to answer, a doctor's with status); `record approve|decline --id`
// answer as the patient (approve signs the consent statement of the anchor on chain with the patient's key).
internal static partial class RecordCommands
{
    private static async Task<int> PutPendingAsync(MedLedgerUserClient client, RecordDraft draft, bool json, TextWriter output, CancellationToken cancellationToken)
    {
        var response = await client.RequestRecordWriteAsync(draft, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (json)
        {
            MedicalCli.WriteJson(output, new { response.RecordId, response.TransactionId, response.Height, tiers = draft.Tiers.Select(t => t.Tier), status = "pending" });
        }
        else
        {
            await output.WriteLineAsync($"Stored record {response.RecordId} ({string.Join(", ", draft.Tiers.Select(t => t.Tier))}); it waits for the patient's approval (request {response.TransactionId}{(response.Height is { } h ? $" at height {h}" : string.Empty)}).").ConfigureAwait(false);
        }

        return 0;
    }

    private static Command CreatePending(CliEnvironment environment)
    {
        var user = new UserOptions();
        var command = user.AddTo(new Command("pending", "Record writes waiting for a patient's approval: as a patient, yours to answer; as a doctor, yours with their status."));
        command.SetAction((parse, cancellationToken) => MedicalCli.RunAsync(parse, async output =>
        {
            var (node, key) = user.Validate(parse);
            using var session = user.Connect(parse, node, key, environment);
            var list = await session.Client.ListWriteRequestsAsync(cancellationToken).ConfigureAwait(false);
            if (parse.GetValue(user.Json))
            {
                MedicalCli.WriteJson(output, list);
                return 0;
            }

            if (list.Requests.Count == 0)
            {
                await output.WriteLineAsync("No write requests.").ConfigureAwait(false);
            }

            foreach (var request in list.Requests)
            {
                await output.WriteLineAsync($"{request.RecordId}  {request.Status,-8}  {request.Category}  ({string.Join(", ", request.Tiers)})  by {request.AuthorName} of {request.OrganisationName}  for {request.Patient[..12]}…  open until block {request.ExpiresAtHeight}").ConfigureAwait(false);
            }

            return 0;
        }));
        return command;
    }

    private static Command CreateApprove(CliEnvironment environment) => CreateAnswer(environment, approve: true);

    private static Command CreateDecline(CliEnvironment environment) => CreateAnswer(environment, approve: false);

    private static Command CreateAnswer(CliEnvironment environment, bool approve)
    {
        var user = new UserOptions();
        var id = new Option<string>("--id") { Description = "Record id of the write request (hex).", Required = true };
        var command = user.AddTo(approve
            ? new Command("approve", "As the patient, approve a write request: your key co-signs it and the record is anchored.") { id }
            : new Command("decline", "As the patient, decline a write request: no record will exist.") { id });
        command.SetAction((parse, cancellationToken) => MedicalCli.RunAsync(parse, async output =>
        {
            var (node, key) = user.Validate(parse);
            var recordId = MedicalCli.ParseHash(parse.GetValue(id), "--id");
            using var session = user.Connect(parse, node, key, environment);
            var answer = approve
                ? await session.Client.ApproveWriteRequestAsync(recordId, cancellationToken).ConfigureAwait(false)
                : await session.Client.DeclineWriteRequestAsync(recordId, cancellationToken).ConfigureAwait(false);
            if (parse.GetValue(user.Json))
            {
                MedicalCli.WriteJson(output, answer);
            }
            else
            {
                await output.WriteLineAsync($"{(approve ? "Approved" : "Declined")} the write of record {answer.RecordId}; answer {answer.TransactionId}{(answer.Height is { } h ? $" at height {h}" : string.Empty)}.").ConfigureAwait(false);
            }

            return 0;
        }));
        return command;
    }
}
