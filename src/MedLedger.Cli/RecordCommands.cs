using System.CommandLine;
using System.Text;
using System.Text.Json;
using MedLedger.Client;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;
using MedLedger.Sharing.Records;

namespace MedLedger.Cli;

/// <summary><c>medledger record put|get|list|erase|pending|approve|decline</c>: medical records through a node's API (SPEC F10–F19, F23).</summary>
internal static partial class RecordCommands
{
    public static Command Create(CliEnvironment environment) => new("record", "Write, read, list and erase medical records.")
    {
        CreatePut(environment),
        CreateGet(environment),
        CreateList(environment),
        CreateErase(environment),
        CreatePending(environment),
        CreateApprove(environment),
        CreateDecline(environment),
    };

    private static Command CreatePut(CliEnvironment environment)
    {
        var user = new UserOptions();
        var patient = new Option<string>("--patient") { Description = "The patient's pseudonym (user id, hex) at the holding organisation.", Required = true };
        var category = new Option<string>("--category") { Description = $"Record category: {string.Join(", ", ApiNames.Names<RecordCategory>())}.", Required = true };
        var file = new Option<FileInfo>("--file") { Description = "The FHIR R4 JSON document (a resource or a Bundle).", Required = true };
        var consentKey = new Option<FileInfo?>("--consent-key") { Description = "The patient's key file: the patient co-signs this write (consent to append)." };
        var consentPassphrase = new Option<FileInfo?>("--consent-passphrase-file") { Description = "Passphrase file of --consent-key (default: the same passphrase as --key)." };
        var grant = new Option<string?>("--grant") { Description = "Id of the patient's grant that gives you append access (instead of --consent-key)." };
        var organisation = new Option<string?>("--org") { Description = "Holding organisation (default: yours, or the patient's when you are the patient)." };
        var pending = new Option<bool>("--pending") { Description = "Ask the patient to approve the write in their portal (record approve) instead of --consent-key or --grant." };
        var command = user.AddTo(new Command("put", "Encrypt a FHIR document for the patient and your organisation, anchor it on chain and store it at the node.")
        {
            patient, category, file, consentKey, consentPassphrase, grant, organisation, pending,
        });
        command.SetAction((parse, cancellationToken) => MedicalCli.RunAsync(parse, async output =>
        {
            var (node, key) = user.Validate(parse);
            var patientId = MedicalCli.ParseHash(parse.GetValue(patient), "--patient");
            var recordCategory = MedicalCli.ParseName<RecordCategory>(parse.GetValue(category), "--category");
            var document = ReadDocument(parse.GetValue(file)!);
            var consentFile = parse.GetValue(consentKey);
            var grantText = parse.GetValue(grant);
            if (consentFile is not null && grantText is not null)
            {
                throw new CliUsageException("Give either --consent-key or --grant, not both.");
            }

            var asksPatient = parse.GetValue(pending);
            if (asksPatient && (consentFile is not null || grantText is not null))
            {
                throw new CliUsageException("--pending asks the patient to approve later: not with --consent-key or --grant.");
            }

            var grantId = grantText is null ? (Hash?)null : MedicalCli.ParseHash(grantText, "--grant");
            if (consentFile is not null)
            {
                MedicalCli.RequireFile(consentFile, "--consent-key");
            }

            var holder = parse.GetValue(organisation) is { } org ? MedicalCli.ParseOrganisationId(org, "--org") : null;

            using var session = user.Connect(parse, node, key, environment);
            if (!asksPatient && consentFile is null && grantId is null && session.KeyId != patientId)
            {
                throw new CliUsageException("A write for a patient needs the patient's consent: give --consent-key or --grant.");
            }

            using var patientKey = consentFile is null ? null : MedicalCli.OpenKey(consentFile, parse.GetValue(consentPassphrase) ?? parse.GetValue(user.PassphraseFile), out _, "patient's key");
            var writer = new RecordWriter(session.Client, environment.Time);
            var draft = await writer.PrepareRecordAsync(patientId, recordCategory, document, RecordTiers.Split, holder, cancellationToken).ConfigureAwait(false);
            if (patientKey is not null)
            {
                draft = draft.SignConsent(session.Suite, patientKey);
            }
            else if (grantId is { } id)
            {
                draft = draft.WithGrant(id);
            }

            if (asksPatient)
            {
                return await PutPendingAsync(session.Client, draft, parse.GetValue(user.Json), output, cancellationToken).ConfigureAwait(false);
            }

            var response = await writer.UploadAsync(draft, waitForCommit: true, cancellationToken).ConfigureAwait(false);
            if (parse.GetValue(user.Json))
            {
                MedicalCli.WriteJson(output, new { response.RecordId, response.TransactionId, response.Height, tiers = draft.Tiers.Select(t => t.Tier), authorisation = ApiNames.Of(draft.Anchor.Authorisation) });
            }
            else
            {
                output.WriteLine($"Stored record {response.RecordId} ({string.Join(", ", draft.Tiers.Select(t => t.Tier))}); anchor {response.TransactionId}{(response.Height is { } h ? $" at height {h}" : string.Empty)}.");
            }

            return 0;
        }));
        return command;
    }

    private static Command CreateGet(CliEnvironment environment)
    {
        var user = new UserOptions();
        var id = new Option<string>("--id") { Description = "Record id (hex).", Required = true };
        var purpose = new Option<string>("--purpose") { Description = $"Why you read it (logged on chain): {string.Join(", ", ApiNames.Names<AccessPurpose>())}.", DefaultValueFactory = _ => "treatment" };
        var output = new Option<FileInfo?>("--out") { Description = "Write the content to this file (mode 0600) instead of standard output." };
        var command = user.AddTo(new Command("get", "Read a record: the node checks your access and logs it; you verify the content against its anchor and decrypt it.")
        {
            id, purpose, output,
        });
        command.SetAction((parse, cancellationToken) => MedicalCli.RunAsync(parse, async stdout =>
        {
            var (node, key) = user.Validate(parse);
            var recordId = MedicalCli.ParseHash(parse.GetValue(id), "--id");
            var readPurpose = MedicalCli.ParseName<AccessPurpose>(parse.GetValue(purpose), "--purpose");
            var outFile = parse.GetValue(output);
            using var session = user.Connect(parse, node, key, environment);
            var read = await session.Client.ReadRecordAsync(recordId, readPurpose, merge: null, cancellationToken).ConfigureAwait(false);
            var content = MergedOrParts(read.Parts);
            if (outFile is not null)
            {
                SecureFile.WriteAllBytes(outFile.FullName, content);
            }

            if (parse.GetValue(user.Json))
            {
                var parts = read.Parts.ToDictionary(p => ApiNames.Of(p.Key), p => AsJson(p.Value));
                MedicalCli.WriteJson(stdout, new { record = read.Record, grantId = read.GrantId, purpose = read.Purpose, parts = outFile is null ? parts : null, file = outFile?.FullName });
            }
            else if (outFile is null)
            {
                await stdout.WriteLineAsync(Encoding.UTF8.GetString(content)).ConfigureAwait(false);
            }
            else
            {
                await stdout.WriteLineAsync($"Verified and decrypted record {recordId} ({string.Join(", ", read.Parts.Keys.Select(ApiNames.Of))}) into {outFile.FullName}.").ConfigureAwait(false);
            }

            return 0;
        }));
        return command;
    }

    // The tiers recombined into one FHIR document; parts that do not form one (a record written by other software)
    // are shown as they are, since they are verified against their anchors either way.
    private static byte[] MergedOrParts(IReadOnlyDictionary<SensitivityTier, byte[]> parts)
    {
        try
        {
            return RecordTiers.Merge(parts);
        }
        catch (Exception exception) when (exception is MedLedger.Sharing.Fhir.FhirValidationException or ArgumentException)
        {
            return Content(parts);
        }
    }

    private static Command CreateList(CliEnvironment environment)
    {
        var user = new UserOptions();
        var patients = new Option<string[]>("--patient") { Description = "A patient pseudonym (repeatable, or comma-separated)." };
        var author = new Option<string?>("--author") { Description = "An author's user id: the records they wrote (practice history)." };
        var limit = new Option<int?>("--limit") { Description = "Most records to list (1..1000)." };
        var command = user.AddTo(new Command("list", "List records of a patient's pseudonyms, or written by an author, newest first.")
        {
            patients, author, limit,
        });
        command.SetAction((parse, cancellationToken) => MedicalCli.RunAsync(parse, async output =>
        {
            var (node, key) = user.Validate(parse);
            var patientIds = MedicalCli.ParseHashes(parse.GetValue(patients), "--patient");
            var authorText = parse.GetValue(author);
            if ((patientIds.Count == 0) == (authorText is null))
            {
                throw new CliUsageException("Give either --patient or --author.");
            }

            var authorId = authorText is null ? (Hash?)null : MedicalCli.ParseHash(authorText, "--author");
            var most = CheckLimit(parse.GetValue(limit));
            using var session = user.Connect(parse, node, key, environment);
            var list = authorId is { } a
                ? await session.Client.ListAuthoredRecordsAsync(a, most, cancellationToken).ConfigureAwait(false)
                : await session.Client.ListPatientRecordsAsync(patientIds, most, cancellationToken).ConfigureAwait(false);
            if (parse.GetValue(user.Json))
            {
                MedicalCli.WriteJson(output, list);
                return 0;
            }

            foreach (var record in list.Records)
            {
                await output.WriteLineAsync($"{record.RecordId}  {record.Created:yyyy-MM-dd'T'HH:mm:ss'Z'}  {record.Category,-17} {string.Join(",", record.Tiers),-34} {record.Organisation}  {record.Status}").ConfigureAwait(false);
            }

            await output.WriteLineAsync($"{list.Records.Count} record(s).").ConfigureAwait(false);
            return 0;
        }));
        return command;
    }

    private static Command CreateErase(CliEnvironment environment)
    {
        var user = new UserOptions();
        var id = new Option<string>("--id") { Description = "Record id (hex).", Required = true };
        var command = user.AddTo(new Command("erase", "As the patient, erase a record: its keys and ciphertext are destroyed, a tombstone stays on chain.") { id });
        command.SetAction((parse, cancellationToken) => MedicalCli.RunAsync(parse, async output =>
        {
            var (node, key) = user.Validate(parse);
            var recordId = MedicalCli.ParseHash(parse.GetValue(id), "--id");
            using var session = user.Connect(parse, node, key, environment);
            var (transactionId, result) = await MedicalCli.SubmitAsync(session, f => f.EraseRecord(recordId), cancellationToken).ConfigureAwait(false);
            MedicalCli.WriteSubmitted(output, parse.GetValue(user.Json), $"Erased record {recordId}", transactionId, result, new Dictionary<string, object?> { ["recordId"] = recordId.ToString() });
            return 0;
        }));
        return command;
    }

    public static int? CheckLimit(int? limit) =>
        limit is null or (>= 1 and <= 1000) ? limit : throw new CliUsageException($"--limit must lie in 1..1000, not {limit}.");

    private static byte[] ReadDocument(FileInfo file)
    {
        MedicalCli.RequireFile(file, "--file");
        if (file.Length == 0 || file.Length > RecordWriter.MaxRecordBytes)
        {
            throw new CliUsageException($"--file must hold 1..{RecordWriter.MaxRecordBytes:N0} bytes; '{file.Name}' has {file.Length:N0}.");
        }

        var bytes = File.ReadAllBytes(file.FullName);
        try
        {
            using var document = JsonDocument.Parse(bytes);
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("resourceType", out _))
            {
                throw new CliUsageException($"'{file.Name}' is not a FHIR resource (a JSON object with a resourceType).");
            }
        }
        catch (JsonException exception)
        {
            throw new CliUsageException($"'{file.Name}' is not valid JSON: {exception.Message}");
        }

        return bytes;
    }

    // One tier: its document as it was written. Several: a JSON object from tier name to that tier's part.
    private static byte[] Content(IReadOnlyDictionary<SensitivityTier, byte[]> parts)
    {
        if (parts.Count == 1)
        {
            return parts.Values.Single();
        }

        return JsonSerializer.SerializeToUtf8Bytes(parts.ToDictionary(p => ApiNames.Of(p.Key), p => AsJson(p.Value)), MedicalCli.JsonOptions);
    }

    private static object AsJson(byte[] part)
    {
        try
        {
            return JsonSerializer.Deserialize<JsonElement>(part);
        }
        catch (JsonException)
        {
            return Encoding.UTF8.GetString(part);
        }
    }
}
