using MedLedger.Core;

namespace MedLedger.Ledger;

// Emergency contacts (SPEC F24, the data part): a patient pseudonym names the users whose approvals an emergency
// access will need. The emergency-access flow itself (request, approvals, time-boxed grant) is a later feature.
public sealed partial class LedgerStateMachine
{
    /// <summary>The committed emergency contacts of a patient pseudonym, or null when none were set (or they were cleared).</summary>
    public EmergencyContacts? GetEmergencyContacts(Hash patientUserId) =>
        Query(StateKeys.EmergencyContacts(patientUserId)) is { } value ? EmergencyContacts.Decode(value) : null;

    private static TransactionResult ExecuteEmergencyContactsSet(StateOverlay state, Account sender, Hash senderId, EmergencyContactsPayload payload, ulong height)
    {
        if (sender.Role != AccountRole.Patient || sender.EffectiveUserId(senderId) != payload.Patient)
        {
            return TransactionResult.Reject(TransactionRejection.NotAuthorized, "only the patient names their emergency contacts");
        }

        var contacts = payload.Contacts;
        var shapeValid = contacts.All(c => !c.IsZero && c != payload.Patient) && contacts.Distinct().Count() == contacts.Count
            && (contacts.Count == 0 ? payload.Threshold == 0 : payload.Threshold >= 1 && payload.Threshold <= contacts.Count);
        if (!shapeValid)
        {
            return TransactionResult.Reject(TransactionRejection.InvalidPayload, "the contacts must be distinct users other than the patient, and the threshold between 1 and their number (0 to clear)");
        }

        foreach (var contact in contacts)
        {
            if (ReadUser(state, contact) is not { } user || !user.Account.IsActive || user.Account.Role is AccountRole.Node or AccountRole.Administrator or AccountRole.Member)
            {
                return TransactionResult.Reject(TransactionRejection.NotFound, $"contact {contact.ToShortString()} is not an active user");
            }
        }

        var key = StateKeys.EmergencyContacts(payload.Patient);
        if (contacts.Count == 0)
        {
            state.Delete(key);
        }
        else
        {
            state.Set(key, new EmergencyContacts(payload.Patient, contacts, payload.Threshold, height).Encode());
        }

        return TransactionResult.Accepted;
    }
}
