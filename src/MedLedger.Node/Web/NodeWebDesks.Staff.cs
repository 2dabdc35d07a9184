using System.Text;
using MedLedger.Client;
using MedLedger.Core;
using MedLedger.Ledger;
using MedLedger.Node.Medical;
using MedLedger.Sharing.Records;
using MedLedger.Storage;
using MedLedger.Web.Charts;
using MedLedger.Web.Services;
using MedLedger.Web.Sessions;

namespace MedLedger.Node.Web;

public sealed partial class NodeWebDesks
{
    // ---- Doctor --------------------------------------------------------------------------------------------------

    public Task<WebResult<IReadOnlyList<PatientMatch>>> FindPatientAsync(WebSession session, PatientSearch search, CancellationToken cancellationToken) => Guard(async () =>
    {
        ArgumentNullException.ThrowIfNull(search);
        var (caller, _, problem) = _callers.Resolve(session);
        if (caller is null)
        {
            return WebResult.Fail<IReadOnlyList<PatientMatch>>(WebOutcome.Denied, problem ?? "Access denied.");
        }

        // CustodyService authorises (doctors only), logs every search and finds only patients who granted the caller.
        var result = await _custody.SearchAsync(caller, new EmpiSearchRequest(search.NationalId, search.FamilyName, search.GivenName, search.BirthDate), cancellationToken).ConfigureAwait(false);
        return result.IsSuccess
            ? WebResult.Ok<IReadOnlyList<PatientMatch>>(result.Value!.Matches.Select(m => new PatientMatch(m.Pseudonym, m.Organisation)).ToList())
            : Map<IReadOnlyList<PatientMatch>>(result.Status, result.Detail);
    });

    public Task<WebResult<IReadOnlyList<RecordRow>>> PatientRecordsAsync(WebSession session, string patient, CancellationToken cancellationToken) => Guard(async () =>
    {
        if (!Hash.TryParse(patient, out var id))
        {
            return WebResult.Fail<IReadOnlyList<RecordRow>>(WebOutcome.NotFound, "A patient pseudonym is 64 hexadecimal characters.");
        }

        var (caller, _, denied) = await AuthoriseAsync<IReadOnlyList<RecordRow>>(session, AccessAction.Search, cancellationToken, AccountRole.Doctor, AccountRole.InsurerAgent).ConfigureAwait(false);
        if (denied is not null)
        {
            return denied;
        }

        // RecordService refuses (and logs) a list of a patient who granted the caller nothing in force.
        var list = await _records.ListAsync(caller!, [id], null, 500, cancellationToken).ConfigureAwait(false);
        return list.IsSuccess ? WebResult.Ok<IReadOnlyList<RecordRow>>(list.Value!.Records.Select(Row).ToList()) : Map<IReadOnlyList<RecordRow>>(list);
    });

    public Task<WebResult<string>> WriteRecordAsync(WebSession session, RecordWriteRequest request, CancellationToken cancellationToken) => Guard(async () =>
    {
        ArgumentNullException.ThrowIfNull(request);
        var (caller, key, denied) = await AuthoriseAsync<string>(session, AccessAction.Write, cancellationToken, AccountRole.Doctor).ConfigureAwait(false);
        if (denied is not null)
        {
            return denied;
        }

        if (!Hash.TryParse(request.Patient, out var patient) || _ledger.GetAccount(_ledger.GetCurrentKey(patient)) is not { Role: AccountRole.Patient, IsActive: true } patientAccount)
        {
            return WebResult.Fail<string>(WebOutcome.NotFound, "There is no active patient with this pseudonym.");
        }

        if (!Json.TryParse<RecordCategory>(request.Category, out var category))
        {
            return WebResult.Fail<string>(WebOutcome.Invalid, "Choose a record category.");
        }

        var document = Encoding.UTF8.GetBytes(request.FhirJson ?? string.Empty);
        if (document.Length is 0 or > 512 * 1024)
        {
            return WebResult.Fail<string>(WebOutcome.Invalid, "The FHIR document is empty or larger than 512 KiB.");
        }

        IReadOnlyDictionary<SensitivityTier, byte[]> parts;
        try
        {
            parts = RecordTiers.Split(document);
        }
#pragma warning disable CA1031 // Any failure to split is the input's fault: report it, change nothing.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            return WebResult.Fail<string>(WebOutcome.Invalid, "The document is not a FHIR R4 resource or Bundle: " + exception.Message);
        }

        if (request.AskPatient)
        {
            return await RequestPatientApprovalAsync(caller!, key!, patient, patientAccount, category, parts, cancellationToken).ConfigureAwait(false);
        }

        // The patient consents on the doctor's screen (SPEC F15): their passphrase opens their custodial key for this
        // one signature; the key is disposed at once and never enters the doctor's session.
        var unlocked = await _custody.UnlockAsync(request.PatientUsername, request.PatientPassphrase, Source, cancellationToken).ConfigureAwait(false);
        if (!unlocked.IsSuccess)
        {
            await _records.LogAsync(caller!, patient, Hash.Zero, AccessAction.Write, AccessPurpose.Treatment, AccessDenialReason.ConsentMissing, Hash.Zero, cancellationToken).ConfigureAwait(false);
            return WebResult.Fail<string>(WebOutcome.Invalid, "The patient's consent failed: " + unlocked.Detail);
        }

        RecordDraft draft;
        var currentKey = _ledger.GetCurrentKey(patient);
        try
        {
            var patientKey = unlocked.Value!.Keys.FirstOrDefault(k => Suite.Hash(k.PublicKey.Span) == currentKey);
            if (patientKey is null)
            {
                await _records.LogAsync(caller!, patient, Hash.Zero, AccessAction.Write, AccessPurpose.Treatment, AccessDenialReason.ConsentMissing, Hash.Zero, cancellationToken).ConfigureAwait(false);
                return WebResult.Fail<string>(WebOutcome.Invalid, "Those credentials are not this patient's; nothing was written.");
            }

            var organisation = _ledger.GetOrganisation(caller!.Account.Organisation);
            if (organisation is null)
            {
                return WebResult.Fail<string>(WebOutcome.Invalid, "Your organisation is not a member.");
            }

            draft = RecordWriter.Prepare(Suite, key!, _ledger.ChainId, patient, patientAccount.PublicKey, organisation.Id, organisation.EncryptionKey, category, parts, _clock.GetUtcNow().ToUnixTimeMilliseconds())
                .SignConsent(Suite, patientKey);
        }
        catch (ArgumentException exception)
        {
            return WebResult.Fail<string>(WebOutcome.Invalid, exception.Message);
        }
        finally
        {
            foreach (var patientKey in unlocked.Value!.Keys)
            {
                patientKey.Dispose();
            }
        }

        var transaction = Factory(caller, key!).AnchorRecord(draft.Anchor);
        var upload = await _records.UploadAsync(caller, draft.ToUploadRequest(transaction), waitForCommit: true, cancellationToken).ConfigureAwait(false);
        return upload.IsSuccess
            ? WebResult.Ok(upload.Value!.RecordId, $"Record written with the patient's consent (block {upload.Value.Height}).")
            : Map<string>(upload.Status, upload.Detail);
    });

    public Task<WebResult<IReadOnlyList<RecordRow>>> PracticeHistoryAsync(WebSession session, CancellationToken cancellationToken) => Guard(async () =>
    {
        var (caller, _, denied) = await AuthoriseAsync<IReadOnlyList<RecordRow>>(session, AccessAction.Search, cancellationToken, AccountRole.Doctor).ConfigureAwait(false);
        if (denied is not null)
        {
            return denied;
        }

        var list = await _records.ListAsync(caller!, [], caller!.UserId, 200, cancellationToken).ConfigureAwait(false);
        return list.IsSuccess ? WebResult.Ok<IReadOnlyList<RecordRow>>(list.Value!.Records.Select(Row).ToList()) : Map<IReadOnlyList<RecordRow>>(list);
    });

    // ---- Auditor -------------------------------------------------------------------------------------------------

    public Task<WebResult<IReadOnlyList<AccessRow>>> SearchAsync(WebSession session, AccessFilter filter, CancellationToken cancellationToken) => Guard(async () =>
    {
        var (entries, failure) = await AuditEntriesAsync(session, filter, cancellationToken).ConfigureAwait(false);
        return failure is not null ? WebResult.Fail<IReadOnlyList<AccessRow>>(failure.Outcome, failure.Message) : WebResult.Ok<IReadOnlyList<AccessRow>>(entries!.Select(AccessRowOf).ToList());
    });

    public Task<WebResult<WebFile>> ExportFhirAsync(WebSession session, AccessFilter filter, CancellationToken cancellationToken) => Guard(async () =>
    {
        var (entries, failure) = await AuditEntriesAsync(session, filter, cancellationToken).ConfigureAwait(false);
        return failure is not null ? WebResult.Fail<WebFile>(failure.Outcome, failure.Message) : WebResult.Ok(new WebFile("access-log.fhir.json", "application/fhir+json", FhirExports.AuditEvents(entries!, _ledger, _identity.KeyId.ToString())));
    });

    public Task<WebResult<AccessVolume>> VolumeAsync(WebSession session, AccessFilter filter, CancellationToken cancellationToken) => Guard(async () =>
    {
        var (entries, failure) = await AuditEntriesAsync(session, filter with { Limit = 1000 }, cancellationToken).ConfigureAwait(false);
        if (failure is not null)
        {
            return WebResult.Fail<AccessVolume>(failure.Outcome, failure.Message);
        }

        return WebResult.Ok(AccessVolumes.Build(entries!.Select(e => (DateTimeOffset.FromUnixTimeMilliseconds(e.Entry.TimeUnixMilliseconds), OrganisationOf(e), e.Entry.Purpose == AccessPurpose.None ? "none" : Json.Name(e.Entry.Purpose))).ToList()));
    });

    public Task<WebResult<IntegrityView>> CheckIntegrityAsync(WebSession session, CancellationToken cancellationToken) => Guard(async () =>
    {
        var (caller, _, problem) = _callers.Resolve(session);
        if (caller is null)
        {
            return WebResult.Fail<IntegrityView>(WebOutcome.Denied, problem ?? "Access denied.");
        }

        // RecordService authorises (auditors, node operators, the holding organisation's admins) and logs.
        var report = await _records.CheckIntegrityAsync(caller, cancellationToken).ConfigureAwait(false);
        return report.IsSuccess
            ? WebResult.Ok(new IntegrityView(report.Value!.Checked, report.Value.Passed, report.Value.Failures.Select(f => $"{f.RecordId} {f.Tier}: {f.Reason}").ToList(), report.Value.CheckedAt))
            : Map<IntegrityView>(report.Status, report.Detail);
    });

    private async Task<(IndexedAccessList? Entries, WebResult<string>? Failure)> AuditEntriesAsync(WebSession session, AccessFilter filter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var (caller, _, denied) = await AuthoriseAsync<string>(session, AccessAction.Search, cancellationToken, AccountRole.Auditor).ConfigureAwait(false);
        if (denied is not null)
        {
            return (null, denied);
        }

        if (!TryQuery(filter, out var query, out var problem))
        {
            return (null, WebResult.Fail<string>(WebOutcome.Invalid, problem));
        }

        var entries = _queries.AccessEntries(caller!, query);
        return entries.IsSuccess ? (entries.Value, null) : (null, Map<string>(entries));
    }

    private string OrganisationOf(IndexedAccess access) =>
        access.Organisation.Length > 0 ? access.Organisation : _ledger.GetAccount(access.Entry.Actor)?.Organisation ?? "unknown";

    private static bool TryQuery(AccessFilter filter, out AccessQuery query, out string problem)
    {
        query = new AccessQuery();
        problem = "Ids are 64 hexadecimal characters; purpose, outcome and action are one of the listed values.";
        Hash? actor = null, patient = null, record = null;
        if (filter.Actor is { } a)
        {
            if (!Hash.TryParse(a, out var parsed))
            {
                return false;
            }

            actor = parsed;
        }

        if (filter.Patient is { } p)
        {
            if (!Hash.TryParse(p, out var parsed))
            {
                return false;
            }

            patient = parsed;
        }

        if (filter.Record is { } r)
        {
            if (!Hash.TryParse(r, out var parsed))
            {
                return false;
            }

            record = parsed;
        }

        AccessPurpose? purpose = null;
        AccessOutcome? outcome = null;
        AccessAction? action = null;
        if (filter.Purpose is { } purposeText)
        {
            if (!Json.TryParse<AccessPurpose>(purposeText, out var parsed))
            {
                return false;
            }

            purpose = parsed;
        }

        if (filter.Outcome is { } outcomeText)
        {
            if (!Json.TryParse<AccessOutcome>(outcomeText, out var parsed))
            {
                return false;
            }

            outcome = parsed;
        }

        if (filter.Action is { } actionText)
        {
            if (!Json.TryParse<AccessAction>(actionText, out var parsed))
            {
                return false;
            }

            action = parsed;
        }

        query = new AccessQuery(actor, patient is null ? null : [patient.Value], record, outcome, purpose, action, filter.Organisation, filter.From?.ToUnixTimeMilliseconds(), filter.To?.ToUnixTimeMilliseconds(), null, Math.Clamp(filter.Limit, 1, 1000));
        return true;
    }

    // ---- Org admin -----------------------------------------------------------------------------------------------

    public Task<WebResult<IReadOnlyList<StaffRow>>> StaffAsync(WebSession session, CancellationToken cancellationToken) => Guard(async () =>
    {
        var (caller, _, denied) = await AuthoriseAsync<IReadOnlyList<StaffRow>>(session, AccessAction.Search, cancellationToken, AccountRole.OrgAdmin).ConfigureAwait(false);
        if (denied is not null)
        {
            return denied;
        }

        return WebResult.Ok<IReadOnlyList<StaffRow>>(StaffOf(caller!.Account.Organisation).ToList());
    });

    public Task<WebResult<string>> RegisterStaffAsync(WebSession session, StaffRequest request, CancellationToken cancellationToken) => Guard(async () =>
    {
        ArgumentNullException.ThrowIfNull(request);
        var (caller, key, denied) = await AuthoriseAsync<string>(session, AccessAction.Write, cancellationToken, AccountRole.OrgAdmin).ConfigureAwait(false);
        if (denied is not null)
        {
            return denied;
        }

        // CustodyService checks the role, username and passphrase rules and seals the new key; the admin's key then
        // registers it on chain (SPEC F3).
        var enrolled = await _custody.EnrolStaffAsync(caller!, new StaffEnrolmentRequest(request.Username, request.Passphrase, request.Role, request.Name), cancellationToken).ConfigureAwait(false);
        if (!enrolled.IsSuccess)
        {
            return Map<string>(enrolled.Status, enrolled.Detail);
        }

        _ = Json.TryParse<AccountRole>(request.Role, out var role);
        var submitted = await SubmitAsync(Factory(caller!, key!).RegisterUser(Convert.FromHexString(enrolled.Value!.PublicKey), role, caller!.Account.Organisation, request.Name), cancellationToken).ConfigureAwait(false);
        return submitted ?? WebResult.Ok(enrolled.Value.KeyId, $"Registered {request.Name} ({request.Username}) as {Json.Name(role)}.");
    });

    public Task<WebResult<string>> RevokeStaffAsync(WebSession session, string keyId, CancellationToken cancellationToken) => Guard(async () =>
    {
        var (caller, key, denied) = await AuthoriseAsync<string>(session, AccessAction.Revoke, cancellationToken, AccountRole.OrgAdmin).ConfigureAwait(false);
        if (denied is not null)
        {
            return denied;
        }

        if (!Hash.TryParse(keyId, out var id) || _ledger.GetAccount(id) is not { } account)
        {
            return WebResult.Fail<string>(WebOutcome.NotFound, "There is no such account.");
        }

        if (account.Organisation != caller!.Account.Organisation || account.Role is AccountRole.Patient or AccountRole.Node)
        {
            await _records.LogAsync(caller, Hash.Zero, Hash.Zero, AccessAction.Revoke, AccessPurpose.None, AccessDenialReason.RoleNotPermitted, Hash.Zero, cancellationToken).ConfigureAwait(false);
            return WebResult.Fail<string>(WebOutcome.Denied, "An org admin revokes staff of their own organisation only; the attempt is logged.");
        }

        var submitted = await SubmitAsync(Factory(caller, key!).RevokeAccount(id), cancellationToken).ConfigureAwait(false);
        return submitted ?? WebResult.Ok(string.Empty, $"Revoked {account.Name}: their key no longer signs anything.");
    });

    public Task<WebResult<IReadOnlyList<ProposalRow>>> ProposalsAsync(WebSession session, CancellationToken cancellationToken) => Guard(async () =>
    {
        var (caller, _, denied) = await AuthoriseAsync<IReadOnlyList<ProposalRow>>(session, AccessAction.Search, cancellationToken, AccountRole.OrgAdmin).ConfigureAwait(false);
        if (denied is not null)
        {
            return denied;
        }

        var members = _queries.Organisations().Count(o => o.Status == "active");
        var needed = ((2 * members) + 2) / 3;
        var rows = new List<ProposalRow>();
        foreach (var (stateKey, value) in _ledger.StateEntries())
        {
            if (!stateKey.AsSpan().StartsWith("prop/"u8))
            {
                continue;
            }

            var proposal = MembershipProposal.Decode(value);
            if (proposal.Status == ProposalStatus.Open)
            {
                rows.Add(new ProposalRow(proposal.Id.ToString(), Json.Name(proposal.Proposal.Action), proposal.Proposal.Organisation.Id, proposal.Proposal.Organisation.Name, proposal.Votes.Count, needed, proposal.Votes.Contains(caller!.Account.Organisation)));
            }
        }

        return WebResult.Ok<IReadOnlyList<ProposalRow>>(rows);
    });

    public Task<WebResult<string>> VoteAsync(WebSession session, string proposalId, CancellationToken cancellationToken) => Guard(async () =>
    {
        var (caller, key, denied) = await AuthoriseAsync<string>(session, AccessAction.Write, cancellationToken, AccountRole.OrgAdmin).ConfigureAwait(false);
        if (denied is not null)
        {
            return denied;
        }

        if (!Hash.TryParse(proposalId, out var id))
        {
            return WebResult.Fail<string>(WebOutcome.NotFound, "There is no such proposal.");
        }

        var submitted = await SubmitAsync(Factory(caller!, key!).VoteForProposal(id), cancellationToken).ConfigureAwait(false);
        return submitted ?? WebResult.Ok(string.Empty, "Your organisation's vote is on the chain.");
    });

    private IEnumerable<StaffRow> StaffOf(string organisation)
    {
        foreach (var (stateKey, value) in _ledger.StateEntries())
        {
            if (!stateKey.AsSpan().StartsWith("acct/"u8) || stateKey.Length != 5 + Hash.Size)
            {
                continue;
            }

            var account = Account.Decode(value);
            if (account.Organisation != organisation || account.Role is AccountRole.Patient or AccountRole.Node)
            {
                continue;
            }

            var keyId = new Hash(stateKey.AsSpan(5).ToArray());
            yield return new StaffRow(keyId.ToString(), account.EffectiveUserId(keyId).ToString(), account.Name, Json.Name(account.Role), account.IsActive, account.RegisteredHeight);
        }
    }

    // ---- Explorer ------------------------------------------------------------------------------------------------

    public Task<WebResult<NodeStatusView>> StatusAsync(WebSession session, CancellationToken cancellationToken)
    {
        if (_callers.Resolve(session).Caller is null)
        {
            return Task.FromResult(WebResult.Fail<NodeStatusView>(WebOutcome.Denied, "Sign in to see the explorer."));
        }

        var s = _ledgerService.GetStatus();
        var epoch = _ledger.Credit is null ? null : _ledger.CurrentEpoch;
        var credit = _ledger.Credit is null ? null : _ledger.GetCredit(_identity.KeyId);
        return Task.FromResult(WebResult.Ok(new NodeStatusView(
            s.ChainId,
            s.Suite,
            s.NodeName,
            s.NodeId,
            s.Height,
            s.LatestBlockHash,
            s.LatestBlockTime,
            s.MempoolSize,
            s.IsValidator,
            s.Validators,
            s.Version,
            RoleName(_ledger.NodeRoleOf(_identity.KeyId)),
            credit is null ? null : CreditViewOf(credit, epoch),
            epoch is null ? null : new EpochView(epoch.Epoch, epoch.StartHeight, epoch.NextElectionHeight),
            // A single-validator chain runs no peer network: "—" rather than a count.
            ConnectedPeers: s.Validators > 1 || s.PeerCount > 0 ? s.PeerCount : null)));
    }

    public Task<WebResult<IReadOnlyList<ValidatorRow>>> ValidatorsAsync(WebSession session, CancellationToken cancellationToken)
    {
        if (_callers.Resolve(session).Caller is null)
        {
            return Task.FromResult(WebResult.Fail<IReadOnlyList<ValidatorRow>>(WebOutcome.Denied, "Sign in to see the explorer."));
        }

        // The set of the next block, by power, then every other node with a credit record (verifiers and auditors),
        // by score: the explorer shows who decides and who could be elected next (SPEC F8, docs/credit.md).
        var set = _ledger.ValidatorSet;
        var scored = _ledger.Credit is null ? [] : _ledger.GetCredits();
        var credits = scored.ToDictionary(c => c.KeyId, c => c.Credit);
        var epoch = _ledger.Credit is null ? null : _ledger.CurrentEpoch;
        var rows = set.Validators
            .OrderByDescending(v => v.Power).ThenBy(v => v.KeyId.ToString(), StringComparer.Ordinal)
            .Select(v => Node(v.KeyId, v.Name, (long)Math.Min(v.Power, long.MaxValue)))
            .ToList();
        rows.AddRange(scored
            .Where(c => set.Find(c.KeyId) is null)
            .OrderByDescending(c => c.Credit.Score).ThenBy(c => c.KeyId.ToString(), StringComparer.Ordinal)
            .Select(c => Node(c.KeyId, _ledger.GetAccount(c.KeyId)?.Name ?? string.Empty, 0)));
        return Task.FromResult(WebResult.Ok<IReadOnlyList<ValidatorRow>>(rows));

        ValidatorRow Node(Hash keyId, string name, long power)
        {
            var credit = credits.GetValueOrDefault(keyId);
            var organisation = credit?.Organisation ?? _ledger.GetAccount(keyId)?.Organisation ?? string.Empty;
            var jailed = credit is not null && epoch is not null && credit.IsJailedFor(epoch.Epoch);
            return new ValidatorRow(keyId.ToString(), name.Length > 0 ? name : keyId.ToShortString(), organisation, RoleName(_ledger.NodeRoleOf(keyId)), power, credit?.Score, jailed);
        }
    }

    private static CreditView CreditViewOf(CreditRecord credit, EpochState? epoch) =>
        new(credit.Score, epoch is not null && credit.IsJailedFor(epoch.Epoch), credit.ProposedBlocks, credit.SignedCommits, credit.MissedCommits, credit.DataRecords, credit.Offences);

    private static string RoleName(NodeRole role) => role switch
    {
        NodeRole.Validator => "validator",
        NodeRole.Verifier => "verifier",
        NodeRole.Auditor => "auditor",
        _ => "none",
    };

    public Task<WebResult<IReadOnlyList<BlockRow>>> BlocksAsync(WebSession session, ulong? below, int count, CancellationToken cancellationToken)
    {
        if (_callers.Resolve(session).Caller is null)
        {
            return Task.FromResult(WebResult.Fail<IReadOnlyList<BlockRow>>(WebOutcome.Denied, "Sign in to see the explorer."));
        }

        var rows = new List<BlockRow>();
        var top = Math.Min(below is { } b && b > 0 ? b - 1 : _ledger.Height, _ledger.Height);
        for (var height = top; height >= 1 && rows.Count < Math.Clamp(count, 1, 100); height--)
        {
            if (_ledgerService.GetBlock(height) is { } block)
            {
                rows.Add(BlockRowOf(block));
            }
        }

        return Task.FromResult(WebResult.Ok<IReadOnlyList<BlockRow>>(rows));
    }

    public Task<WebResult<BlockView>> BlockAsync(WebSession session, ulong height, CancellationToken cancellationToken)
    {
        if (_callers.Resolve(session).Caller is null)
        {
            return Task.FromResult(WebResult.Fail<BlockView>(WebOutcome.Denied, "Sign in to see the explorer."));
        }

        if (_ledgerService.GetBlock(height) is not { } block)
        {
            return Task.FromResult(WebResult.Fail<BlockView>(WebOutcome.NotFound, $"There is no block {height} yet."));
        }

        var transactions = block.TransactionIds.Select((id, index) => _ledgerService.GetTransaction(Hash.Parse(id)) is { } t ? TransactionRowOf(t) with { Index = index } : new TransactionRow(id, "?", string.Empty, 0, "committed", height, index, 0, false)).ToList();
        return Task.FromResult(WebResult.Ok(new BlockView(BlockRowOf(block), transactions, block.Certificate.Signatures.Count)));
    }

    public Task<WebResult<TransactionRow>> TransactionAsync(WebSession session, string transactionId, CancellationToken cancellationToken)
    {
        if (_callers.Resolve(session).Caller is null)
        {
            return Task.FromResult(WebResult.Fail<TransactionRow>(WebOutcome.Denied, "Sign in to see the explorer."));
        }

        return Task.FromResult(Hash.TryParse(transactionId, out var id) && _ledgerService.GetTransaction(id) is { } transaction
            ? WebResult.Ok(TransactionRowOf(transaction))
            : WebResult.Fail<TransactionRow>(WebOutcome.NotFound, "There is no such transaction."));
    }

    private static BlockRow BlockRowOf(BlockInfo block) =>
        new(block.Header.Height, block.Hash, block.Header.Time, block.TransactionIds.Count, block.Header.Proposer, block.Header.PreviousBlockHash, block.Header.StateRoot);

    // The explorer shows the envelope only: the encoded payload may carry pseudonyms and commitments.
    private static TransactionRow TransactionRowOf(TransactionInfo transaction) =>
        new(transaction.Id, transaction.Type, transaction.Sender, transaction.Nonce, transaction.Status, transaction.Height, transaction.Index, (transaction.Encoded?.Length ?? 0) * 3 / 4, transaction.Proof is not null);
}
