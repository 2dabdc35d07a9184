using MedLedger.Core;
using MedLedger.Ledger;
using MedLedger.Node.Medical;
using MedLedger.Web.Services;
using MedLedger.Web.Sessions;

namespace MedLedger.Node.Web;

// Emergency contacts (SPEC F24, the data part): the patient names registered users by username or user id; the node
// resolves them to user ids and sets them on chain for every pseudonym of the patient, so the later emergency-access
// flow finds them whichever institution's records it is about.
public sealed partial class NodeWebDesks
{
    public Task<WebResult<EmergencyContactsView>> EmergencyContactsAsync(WebSession session, CancellationToken cancellationToken) => Guard(async () =>
    {
        var (caller, _, denied) = await AuthoriseAsync<EmergencyContactsView>(session, AccessAction.Search, cancellationToken, AccountRole.Patient).ConfigureAwait(false);
        if (denied is not null)
        {
            return denied;
        }

        var stored = _ledger.GetEmergencyContacts(caller!.UserId);
        var rows = (stored?.Contacts ?? []).Select(ContactRow).ToList();
        return WebResult.Ok(new EmergencyContactsView(rows, stored?.Threshold ?? 0, stored?.SetHeight, EmergencyContacts.MaxContacts, EmergencyContacts.DefaultThreshold));
    });

    public Task<WebResult<string>> SetEmergencyContactsAsync(WebSession session, EmergencyContactsRequest request, CancellationToken cancellationToken) => Guard(async () =>
    {
        ArgumentNullException.ThrowIfNull(request);
        var (_, _, denied) = await AuthoriseAsync<string>(session, AccessAction.Grant, cancellationToken, AccountRole.Patient).ConfigureAwait(false);
        if (denied is not null)
        {
            return denied;
        }

        if (request.Contacts.Count > EmergencyContacts.MaxContacts)
        {
            return WebResult.Fail<string>(WebOutcome.Invalid, $"Name at most {EmergencyContacts.MaxContacts} emergency contacts.");
        }

        var own = _callers.All(session).Select(c => c.Caller.UserId).ToHashSet();
        var contacts = new List<Hash>();
        foreach (var text in request.Contacts)
        {
            var userId = Hash.TryParse(text, out var id) ? id : _store.GetCustodialAccount(text)?.UserId;
            if (userId is not { } resolved || _ledger.GetAccount(_ledger.GetCurrentKey(resolved)) is not { IsActive: true } account || account.Role is AccountRole.Node or AccountRole.Administrator or AccountRole.Member)
            {
                return WebResult.Fail<string>(WebOutcome.Invalid, $"No active user has the username or user id \"{(text.Length > 64 ? text[..64] : text)}\" at this node.");
            }

            if (own.Contains(resolved))
            {
                return WebResult.Fail<string>(WebOutcome.Invalid, "You cannot be your own emergency contact.");
            }

            if (contacts.Contains(resolved))
            {
                return WebResult.Fail<string>(WebOutcome.Invalid, "Each contact is named once.");
            }

            contacts.Add(resolved);
        }

        var threshold = contacts.Count == 0 ? 0 : request.Threshold;
        if (contacts.Count > 0 && (threshold < 1 || threshold > contacts.Count))
        {
            return WebResult.Fail<string>(WebOutcome.Invalid, $"The approvals needed must be between 1 and the number of contacts ({contacts.Count}).");
        }

        // One transaction per pseudonym, each signed by that pseudonym's key (the chain checks the sender is the patient).
        foreach (var (pseudonym, key) in _callers.All(session))
        {
            var submitted = await SubmitAsync(Factory(pseudonym, key).SetEmergencyContacts(pseudonym.UserId, contacts, (byte)threshold), cancellationToken).ConfigureAwait(false);
            if (submitted is not null)
            {
                return submitted;
            }
        }

        return WebResult.Ok(string.Empty, contacts.Count == 0
            ? "Your emergency contacts are cleared."
            : $"Saved {contacts.Count} emergency contacts; emergency access will need {threshold} of them to approve.");
    });

    private EmergencyContactRow ContactRow(Hash userId)
    {
        var account = _ledger.GetAccount(_ledger.GetCurrentKey(userId));
        var label = account is { Name.Length: > 0 } ? account.Name : _store.GetCustodialAccountByUser(userId)?.Username ?? userId.ToShortString();
        return new EmergencyContactRow(userId.ToString(), label, account is null ? "unknown" : Json.Name(account.Role), account?.IsActive ?? false);
    }
}
