using System.Security.Cryptography;
using System.Text.Json;
using MedLedger.Client;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;
using MedLedger.Sharing.Deidentification;
using MedLedger.Sharing.Fhir;
using MedLedger.Sharing.Records;
using MedLedger.Storage;
using Microsoft.AspNetCore.Http;

namespace MedLedger.Node.Medical;

/// <summary>
/// Policy access (SPEC F14, F18): researchers and auditors receive de-identified data of the records this node holds,
/// limited to the categories and tiers the consortium policy on chain names for their role — without asking each
/// patient, and never identified content. Each released record is de-identified (direct identifiers removed,
/// quasi-identifiers generalised, references replaced by per-release pseudonyms), k-anonymity is enforced over the
/// release, and every released record is logged on chain.
/// </summary>
public sealed class DeidentifiedService
{
    private readonly LedgerStateMachine _ledger;
    private readonly IRecordStore _store;
    private readonly HostedOrganisations _organisations;
    private readonly RecordService _records;
    private readonly TimeProvider _clock;

    public DeidentifiedService(LedgerStateMachine ledger, IRecordStore store, HostedOrganisations organisations, RecordService records, TimeProvider clock)
    {
        _ledger = ledger;
        _store = store;
        _organisations = organisations;
        _records = records;
        _clock = clock;
    }

    public async Task<ServiceResult<DeidentifiedResponse>> ReleaseAsync(Caller caller, DeidentifiedRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(request);
        var purpose = caller.Account.Role switch
        {
            AccountRole.Researcher => AccessPurpose.Research,
            AccountRole.Auditor => AccessPurpose.Audit,
            _ => AccessPurpose.None,
        };
        var rules = purpose == AccessPurpose.None ? [] : AccessPolicy.PolicyFor(_ledger.CommittedState, caller.Account.Role, purpose);
        if (rules.Count == 0)
        {
            await _records.LogAsync(caller, Hash.Zero, Hash.Zero, AccessAction.Deidentified, purpose, AccessDenialReason.RoleNotPermitted, Hash.Zero, cancellationToken).ConfigureAwait(false);
            return ServiceResult.Fail<DeidentifiedResponse>(StatusCodes.Status403Forbidden, "RoleNotPermitted", "The consortium policy gives your role no de-identified access.");
        }

        var category = RecordCategory.None;
        if (request.Category is not null && !Json.TryParse(request.Category, out category))
        {
            return ServiceResult.Fail<DeidentifiedResponse>(StatusCodes.Status400BadRequest, "Malformed", "The category is not one of the documented values.");
        }

        var k = request.K ?? 5;
        var limit = request.Limit ?? 500;
        if (k is < 2 or > 1000 || limit is < 1 or > 1000)
        {
            return ServiceResult.Fail<DeidentifiedResponse>(StatusCodes.Status400BadRequest, "Malformed", "k is 2..1000 and limit 1..1000.");
        }

        var options = new DeidentificationOptions(DateOnly.FromDateTime(_clock.GetUtcNow().UtcDateTime), RandomNumberGenerator.GetBytes(32));
        var released = new List<(DeidentifiedRecord Record, RecordEntry Entry)>();
        var tiersReleased = new HashSet<SensitivityTier>();
        foreach (var recordId in _store.EnumerateBlobs().Select(b => b.RecordId).Distinct())
        {
            if (released.Count >= limit)
            {
                break;
            }

            var entry = _ledger.GetRecord(recordId);
            if (entry is null || entry.Status != RecordStatus.Active || !_organisations.Holds(entry.Organisation) || (category != RecordCategory.None && entry.Category != category))
            {
                continue;
            }

            var rule = rules.FirstOrDefault(r => r.Categories.Count == 0 || r.Categories.Contains(entry.Category));
            var tiers = rule is null ? [] : entry.Tiers.Where(t => rule.Tiers.Contains(t.Tier)).ToList();
            if (tiers.Count == 0 || Open(entry, tiers) is not { } document)
            {
                continue;
            }

            try
            {
                released.Add((Deidentifier.Deidentify(FhirValidator.Validate(document), options), entry));
                tiersReleased.UnionWith(tiers.Select(t => t.Tier));
            }
            catch (Exception exception) when (exception is FhirValidationException or DeidentificationException)
            {
                // A record that cannot be de-identified safely is withheld, never released as is.
            }
        }

        var result = KAnonymity.Enforce(released.Select(r => r.Record).ToList(), k);
        var releasedSet = result.Released.ToHashSet();
        foreach (var (record, entry) in released.Where(r => releasedSet.Contains(r.Record)))
        {
            await _records.LogAsync(caller, entry.Patient, entry.RecordId, AccessAction.Deidentified, purpose, AccessDenialReason.None, Hash.Zero, cancellationToken).ConfigureAwait(false);
        }

        var documents = result.Released.Select(r => JsonDocument.Parse(r.Json).RootElement.Clone()).ToList();
        return ServiceResult.Ok(new DeidentifiedResponse(documents, result.Suppressed.Count, k, tiersReleased.Order().Select(Json.Name).ToList()));
    }

    private byte[]? Open(RecordEntry entry, IReadOnlyList<RecordTierAnchor> tiers)
    {
        var key = _organisations.Key(entry.Organisation);
        var keyId = _ledger.Suite.Hash(key.PublicKey.Span);
        var held = _store.GetRecord(entry.RecordId);
        var parts = new Dictionary<SensitivityTier, byte[]>();
        foreach (var tier in tiers)
        {
            var stored = held.FirstOrDefault(h => h.Tier == tier.Tier);
            if (stored is null)
            {
                return null;
            }

            try
            {
                var dataKey = _records.OpenOrganisationEnvelope(key, stored.OrganisationEnvelope, RecordSealing.EnvelopeAssociatedData(entry.RecordId, tier.Tier, keyId));
                parts[tier.Tier] = RecordSealing.OpenTier(_ledger.Suite, entry.RecordId, tier.Tier, stored.Ciphertext, dataKey, tier.ContentAddress, tier.Commitment);
                CryptographicOperations.ZeroMemory(dataKey);
            }
            catch (Exception exception) when (exception is CryptoException or RecordIntegrityException)
            {
                return null;
            }
        }

        try
        {
            return RecordTiers.Merge(parts);
        }
        catch (Exception exception) when (exception is FhirValidationException or ArgumentException)
        {
            return null;
        }
    }
}
