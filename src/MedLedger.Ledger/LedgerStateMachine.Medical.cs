using MedLedger.Core;

namespace MedLedger.Ledger;

// The medical modules of the state machine (SPEC F1–F5, F15, F17, F20, F23): membership, users, records, consent,
// the access log and erasure. Each handler runs inside a transaction's own overlay, so a refusal leaves no trace.
public sealed partial class LedgerStateMachine
{
    /// <summary>The committed organisation with this id, or null.</summary>
    public Organisation? GetOrganisation(string organisationId)
    {
        var value = Query(StateKeys.Organisation(organisationId));
        return value is null ? null : Organisation.Decode(value);
    }

    /// <summary>The committed record anchor, or null.</summary>
    public RecordEntry? GetRecord(Hash recordId)
    {
        var value = Query(StateKeys.Record(recordId));
        return value is null ? null : RecordEntry.Decode(value);
    }

    /// <summary>The committed grant, or null.</summary>
    public Grant? GetGrant(Hash grantId)
    {
        var value = Query(StateKeys.Grant(grantId));
        return value is null ? null : Grant.Decode(value);
    }

    /// <summary>The committed current key id of a user, or zero.</summary>
    public Hash GetCurrentKey(Hash userId)
    {
        var value = Query(StateKeys.UserKey(userId));
        return value is null ? Hash.Zero : new Hash(value);
    }

    /// <summary>A read-only view of committed state for policy decisions (<see cref="AccessPolicy"/>).</summary>
    public IStateReader CommittedState => new CommittedStateReader(this);

    private static bool IsActiveOrganisation(IStateReader state, string organisationId)
    {
        var value = state.GetValue(StateKeys.Organisation(organisationId));
        return value is not null && Organisation.Decode(value).Status == OrganisationStatus.Active;
    }

    private static Organisation? ReadOrganisation(StateOverlay state, string organisationId)
    {
        var value = state.GetValue(StateKeys.Organisation(organisationId));
        return value is null ? null : Organisation.Decode(value);
    }

    private static Account? ReadAccount(IStateReader state, Hash keyId)
    {
        var value = state.GetValue(StateKeys.Account(keyId));
        return value is null ? null : Account.Decode(value);
    }

    /// <summary>The current key and account of a user, or null.</summary>
    internal static (Hash KeyId, Account Account)? ReadUser(IStateReader state, Hash userId)
    {
        var key = state.GetValue(StateKeys.UserKey(userId));
        if (key is null)
        {
            return null;
        }

        var keyId = new Hash(key);
        var account = ReadAccount(state, keyId);
        return account is null ? null : (keyId, account);
    }

    // Signatures carried inside payloads. Like the envelope signature, they are a pure function of the transaction's
    // bytes and of public keys that never change under a key id, so they are checked once, at admission.
    private TransactionResult VerifyEmbeddedSignatures(IStateReader state, Transaction transaction)
    {
        try
        {
            switch (transaction.Type)
            {
                case TransactionType.KeyRotate:
                    {
                        var payload = KeyRotatePayload.Decode(transaction.Payload.Span);
                        if (!Suite.Verify(payload.NewPublicKey, KeyRotatePayload.EncodeProofBytes(ChainId, transaction.Sender), payload.ProofSignature))
                        {
                            return TransactionResult.Reject(TransactionRejection.InvalidPayloadSignature, "the new key's proof of possession does not verify");
                        }

                        break;
                    }

                case TransactionType.RecordAnchor:
                    {
                        var payload = RecordAnchorPayload.Decode(transaction.Payload.Span);
                        var author = ReadAccount(state, payload.Author);
                        if (author is null)
                        {
                            return TransactionResult.Reject(TransactionRejection.NotFound, $"the author {payload.Author.ToShortString()} is not registered");
                        }

                        if (!Suite.Verify(author.PublicKey, payload.EncodeAuthorStatement(ChainId), payload.AuthorSignature))
                        {
                            return TransactionResult.Reject(TransactionRejection.InvalidPayloadSignature, "the author's signature does not verify");
                        }

                        if (payload.Authorisation == WriteAuthorisation.PatientSignature)
                        {
                            var signer = ReadAccount(state, payload.ConsentSigner);
                            if (signer is null)
                            {
                                return TransactionResult.Reject(TransactionRejection.NotFound, "the consent signer is not registered");
                            }

                            if (!Suite.Verify(signer.PublicKey, payload.EncodeConsentStatement(ChainId), payload.ConsentSignature))
                            {
                                return TransactionResult.Reject(TransactionRejection.InvalidPayloadSignature, "the patient's consent signature does not verify");
                            }
                        }

                        break;
                    }

                case TransactionType.RecordWriteRequest:
                    return VerifyWriteRequestSignature(state, RecordWriteRequestPayload.Decode(transaction.Payload.Span));
            }
        }
        catch (DecodingException exception)
        {
            return TransactionResult.Reject(TransactionRejection.InvalidPayload, exception.Message);
        }

        return TransactionResult.Accepted;
    }

    private TransactionResult ExecuteUserRegister(StateOverlay state, Account sender, UserRegisterPayload payload, ulong height)
    {
        if (!Enum.IsDefined(payload.Role) || payload.Role is AccountRole.None or AccountRole.Administrator)
        {
            return TransactionResult.Reject(TransactionRejection.InvalidPayload, "the role is unknown or cannot be registered");
        }

        var organisation = ReadOrganisation(state, payload.Organisation);
        if (organisation is null || organisation.Status != OrganisationStatus.Active)
        {
            return TransactionResult.Reject(TransactionRejection.NotFound, $"organisation '{payload.Organisation}' is not an active member");
        }

        var allowed = sender.Role switch
        {
            AccountRole.Administrator => true,
            AccountRole.OrgAdmin => sender.Organisation == payload.Organisation && payload.Role != AccountRole.Member,
            AccountRole.Doctor => sender.Organisation == payload.Organisation && payload.Role == AccountRole.Patient,
            _ => false,
        };
        if (!allowed)
        {
            return TransactionResult.Reject(TransactionRejection.NotAuthorized, $"a {sender.Role} of '{sender.Organisation}' cannot register a {payload.Role} of '{payload.Organisation}'");
        }

        if (!RoleFitsOrganisation(payload.Role, organisation.Kind))
        {
            return TransactionResult.Reject(TransactionRejection.InvalidPayload, $"a {organisation.Kind} has no {payload.Role} users");
        }

        if (payload.Role == AccountRole.Patient ? payload.Name.Length != 0 : payload.Name.Length == 0)
        {
            return TransactionResult.Reject(TransactionRejection.InvalidPayload, payload.Role == AccountRole.Patient ? "a patient pseudonym carries no name on chain" : "the user needs a name");
        }

        if (!Suite.IsValidPublicKey(payload.PublicKey))
        {
            return TransactionResult.Reject(TransactionRejection.InvalidPayload, $"the public key is not a valid {Suite.Name} key");
        }

        var keyId = Suite.Hash(payload.PublicKey);
        var key = StateKeys.Account(keyId);
        if (state.GetValue(key) is not null)
        {
            return TransactionResult.Reject(TransactionRejection.AlreadyExists, "the key is already registered");
        }

        state.Set(key, new Account(payload.PublicKey, payload.Role, payload.Name, 0, height, false, payload.Organisation).Encode());
        state.Set(StateKeys.UserKey(keyId), keyId.ToArray());

        // On a credit chain a new node starts with the initial credit; it can be elected from the next epoch boundary.
        return payload.Role == AccountRole.Node ? TrackNode(state, keyId, payload.Organisation, null) : TransactionResult.Accepted;
    }

    /// <summary>Whether an organisation of <paramref name="kind"/> may have users of <paramref name="role"/> (doctors and patients at care providers, auditors at regulators, researchers at research institutes, insurer agents at insurers).</summary>
    public static bool RoleFitsOrganisation(AccountRole role, OrganisationKind kind) => role switch
    {
        AccountRole.Doctor => kind is OrganisationKind.Hospital or OrganisationKind.Clinic or OrganisationKind.ElderlyCare,
        AccountRole.Patient => kind is OrganisationKind.Hospital or OrganisationKind.Clinic or OrganisationKind.ElderlyCare,
        AccountRole.Auditor => kind == OrganisationKind.Regulator,
        AccountRole.Researcher => kind == OrganisationKind.ResearchInstitute,
        AccountRole.InsurerAgent => kind == OrganisationKind.Insurer,
        _ => true,
    };

    private TransactionResult ExecuteKeyRotate(StateOverlay state, Account sender, Hash senderId, KeyRotatePayload payload, ulong height)
    {
        if (!Suite.IsValidPublicKey(payload.NewPublicKey))
        {
            return TransactionResult.Reject(TransactionRejection.InvalidPayload, $"the new key is not a valid {Suite.Name} key");
        }

        var newId = Suite.Hash(payload.NewPublicKey);
        if (state.GetValue(StateKeys.Account(newId)) is not null)
        {
            return TransactionResult.Reject(TransactionRejection.AlreadyExists, "the new key is already registered");
        }

        var userId = sender.EffectiveUserId(senderId);
        state.Set(StateKeys.Account(senderId), (sender with { Successor = newId }).Encode());
        state.Set(StateKeys.Account(newId), new Account(payload.NewPublicKey, sender.Role, sender.Name, 0, height, false, sender.Organisation, userId).Encode());
        state.Set(StateKeys.UserKey(userId), newId.ToArray());

        // A node's credit moves to its new key, which replaces the old one in the credit index.
        return sender.Role == AccountRole.Node && Genesis.Credit is not null
            ? TrackNode(state, newId, sender.Organisation, ReadCredit(state, senderId), senderId)
            : TransactionResult.Accepted;
    }

    private TransactionResult ExecuteOrganisationPropose(StateOverlay state, Account sender, Hash proposalId, OrganisationProposePayload payload, ulong height, long time)
    {
        if (sender.Role != AccountRole.OrgAdmin)
        {
            return TransactionResult.Reject(TransactionRejection.NotAuthorized, "only org admins propose membership changes");
        }

        var target = payload.Organisation;
        if (!Organisation.IsValidId(target.Id))
        {
            return TransactionResult.Reject(TransactionRejection.InvalidPayload, "the organisation id must be 1..64 lowercase letters, digits and inner hyphens");
        }

        var existing = ReadOrganisation(state, target.Id);
        switch (payload.Action)
        {
            case MembershipAction.Admit:
                if (existing is not null)
                {
                    return TransactionResult.Reject(TransactionRejection.AlreadyExists, $"organisation '{target.Id}' already exists");
                }

                if (target.Name.Length == 0 || !Enum.IsDefined(target.Kind) || target.Kind == OrganisationKind.None || !Suite.IsValidPublicKey(target.EncryptionKey))
                {
                    return TransactionResult.Reject(TransactionRejection.InvalidPayload, "an admitted organisation needs a name, a kind and a valid encryption key");
                }

                if (!Suite.IsValidPublicKey(payload.AdminPublicKey) || payload.AdminName.Length == 0)
                {
                    return TransactionResult.Reject(TransactionRejection.InvalidPayload, "an admitted organisation needs an administrator key and name");
                }

                if (state.GetValue(StateKeys.Account(Suite.Hash(payload.AdminPublicKey))) is not null)
                {
                    return TransactionResult.Reject(TransactionRejection.AlreadyExists, "the administrator key is already registered");
                }

                break;
            case MembershipAction.Remove:
                if (existing is null || existing.Status != OrganisationStatus.Active)
                {
                    return TransactionResult.Reject(TransactionRejection.NotFound, $"organisation '{target.Id}' is not an active member");
                }

                if (target.Name.Length != 0 || target.EncryptionKey.Length != 0 || payload.AdminPublicKey.Length != 0 || payload.AdminName.Length != 0)
                {
                    return TransactionResult.Reject(TransactionRejection.InvalidPayload, "a removal names only the organisation id");
                }

                break;
            default:
                return TransactionResult.Reject(TransactionRejection.InvalidPayload, "the membership action is unknown");
        }

        var proposal = new MembershipProposal(proposalId, payload, sender.Organisation, [sender.Organisation], time + Limits.MembershipProposalLifetimeMilliseconds, ProposalStatus.Open);
        return TallyAndStore(state, proposal, height);
    }

    private TransactionResult ExecuteOrganisationVote(StateOverlay state, Account sender, OrganisationVotePayload payload, ulong height, long time)
    {
        if (sender.Role != AccountRole.OrgAdmin)
        {
            return TransactionResult.Reject(TransactionRejection.NotAuthorized, "only org admins vote on membership changes");
        }

        var value = state.GetValue(StateKeys.Proposal(payload.ProposalId));
        if (value is null)
        {
            return TransactionResult.Reject(TransactionRejection.NotFound, "no such proposal");
        }

        var proposal = MembershipProposal.Decode(value);
        if (proposal.Status != ProposalStatus.Open || time > proposal.ExpiresUnixMilliseconds)
        {
            return TransactionResult.Reject(TransactionRejection.InvalidPayload, "the proposal is closed or expired");
        }

        if (proposal.Votes.Contains(sender.Organisation))
        {
            return TransactionResult.Reject(TransactionRejection.AlreadyExists, $"organisation '{sender.Organisation}' already voted");
        }

        var votes = proposal.Votes.Append(sender.Organisation).Order(StringComparer.Ordinal).ToList();
        return TallyAndStore(state, proposal with { Votes = votes }, height);
    }

    // Executes the proposal once the organisations voting for it make up at least 2/3 of the current members.
    private TransactionResult TallyAndStore(StateOverlay state, MembershipProposal proposal, ulong height)
    {
        var members = OrganisationList.Decode(state.GetValue(StateKeys.Organisations()) ?? OrganisationList.Encode([]));
        var inFavour = proposal.Votes.Count(members.Contains);
        if ((long)inFavour * 3 >= (long)members.Count * 2)
        {
            var target = proposal.Proposal.Organisation;
            var existing = ReadOrganisation(state, target.Id);
            if (proposal.Proposal.Action == MembershipAction.Admit)
            {
                if (members.Count >= Limits.MaxOrganisations)
                {
                    return TransactionResult.Reject(TransactionRejection.InvalidPayload, $"the consortium already has {Limits.MaxOrganisations} members");
                }

                // Another proposal may have admitted the id, or the key may have been registered, since this one was made.
                var adminId = Suite.Hash(proposal.Proposal.AdminPublicKey);
                if (existing is not null || state.GetValue(StateKeys.Account(adminId)) is not null)
                {
                    return TransactionResult.Reject(TransactionRejection.AlreadyExists, $"organisation '{target.Id}' or its administrator key already exists");
                }

                state.Set(StateKeys.Organisation(target.Id), (target with { Status = OrganisationStatus.Active, AdmittedHeight = height }).Encode());
                members.Add(target.Id);
                state.Set(StateKeys.Account(adminId), new Account(proposal.Proposal.AdminPublicKey, AccountRole.OrgAdmin, proposal.Proposal.AdminName, 0, height, false, target.Id).Encode());
                state.Set(StateKeys.UserKey(adminId), adminId.ToArray());
            }
            else
            {
                if (members.Count == 1)
                {
                    return TransactionResult.Reject(TransactionRejection.InvalidPayload, "the last member cannot be removed");
                }

                if (existing is null || existing.Status != OrganisationStatus.Active)
                {
                    return TransactionResult.Reject(TransactionRejection.NotFound, $"organisation '{target.Id}' is no longer an active member");
                }

                state.Set(StateKeys.Organisation(target.Id), (existing with { Status = OrganisationStatus.Removed }).Encode());
                members.Remove(target.Id);
            }

            state.Set(StateKeys.Organisations(), OrganisationList.Encode(members.Order(StringComparer.Ordinal).ToList()));
            proposal = proposal with { Status = ProposalStatus.Executed };
        }

        state.Set(StateKeys.Proposal(proposal.Id), proposal.Encode());
        return TransactionResult.Accepted;
    }

    private static TransactionResult ExecuteRecordAnchor(StateOverlay state, Account sender, Hash senderId, RecordAnchorPayload payload, ulong height, long time)
    {
        var author = ReadAccount(state, payload.Author);
        if (author is null || !author.IsActive)
        {
            return TransactionResult.Reject(TransactionRejection.NotAuthorized, "the author is not an active account");
        }

        var submittedByNode = sender.Role == AccountRole.Node && sender.Organisation == payload.Organisation;
        if (senderId != payload.Author && !submittedByNode)
        {
            return TransactionResult.Reject(TransactionRejection.NotAuthorized, "a record is anchored by its author or by the holding organisation's node");
        }

        var authorUserId = author.EffectiveUserId(payload.Author);
        var body = CheckRecordBody(state, author, authorUserId, payload, time, approving: false);
        if (!body.IsAccepted)
        {
            return body;
        }

        switch (payload.Authorisation)
        {
            case WriteAuthorisation.PatientSignature:
                var signer = ReadAccount(state, payload.ConsentSigner);
                if (signer is null || signer.EffectiveUserId(payload.ConsentSigner) != payload.Patient || !signer.IsActive)
                {
                    return TransactionResult.Reject(TransactionRejection.ConsentMissing, "the consent is not signed by the patient's current key");
                }

                break;
            case WriteAuthorisation.Grant:
                if (!AccessPolicy.PermitsAppend(state, author, authorUserId, payload.Patient, payload.Category, payload.Tiers.Select(t => t.Tier), payload.GrantId, time))
                {
                    return TransactionResult.Reject(TransactionRejection.ConsentMissing, "the grant does not give the author append access to this record");
                }

                break;
            case WriteAuthorisation.PatientAuthor:
                break;
            default:
                return TransactionResult.Reject(TransactionRejection.ConsentMissing, "the write names no authorisation");
        }

        var entry = new RecordEntry(payload.RecordId, payload.Patient, payload.Author, authorUserId, payload.Organisation, payload.Category, payload.CreatedUnixMilliseconds, payload.Tiers, payload.Authorisation, payload.GrantId, height, RecordStatus.Active, 0);
        state.Set(StateKeys.Record(payload.RecordId), entry.Encode());
        return TransactionResult.Accepted;
    }

    // Rules 3–9 of a record write, shared by RecordAnchor, RecordWriteRequest and the approval of a write request: the
    // patient, the author's standing, the organisation, the record id, category, tiers and (but when approving a request
    // made earlier) the time window. A record id named by a write request is taken, except by that request's approval.
    private static TransactionResult CheckRecordBody(StateOverlay state, Account author, Hash authorUserId, RecordAnchorPayload payload, long time, bool approving)
    {
        var patient = ReadUser(state, payload.Patient);
        if (patient is null || patient.Value.Account.Role != AccountRole.Patient || !patient.Value.Account.IsActive)
        {
            return TransactionResult.Reject(TransactionRejection.NotFound, "the patient pseudonym is not an active patient");
        }

        if (payload.Authorisation == WriteAuthorisation.PatientAuthor)
        {
            if (authorUserId != payload.Patient || author.Organisation != payload.Organisation)
            {
                return TransactionResult.Reject(TransactionRejection.NotAuthorized, "only the patient writes as the patient, into their own organisation's records");
            }
        }
        else if (author.Role != AccountRole.Doctor || author.Organisation != payload.Organisation)
        {
            return TransactionResult.Reject(TransactionRejection.NotAuthorized, "records are written by doctors of the holding organisation");
        }

        if (!IsActiveOrganisation(state, payload.Organisation))
        {
            return TransactionResult.Reject(TransactionRejection.OrganisationInactive, $"organisation '{payload.Organisation}' is not an active member");
        }

        if (payload.RecordId.IsZero || state.GetValue(StateKeys.Record(payload.RecordId)) is not null || (!approving && state.GetValue(StateKeys.WriteRequest(payload.RecordId)) is not null))
        {
            return TransactionResult.Reject(TransactionRejection.AlreadyExists, "the record id is zero, already anchored or named by a write request");
        }

        if (!Enum.IsDefined(payload.Category) || payload.Category == RecordCategory.None)
        {
            return TransactionResult.Reject(TransactionRejection.InvalidPayload, "the category is unknown");
        }

        var tiersValid = payload.Tiers.Count > 0;
        for (var i = 0; i < payload.Tiers.Count && tiersValid; i++)
        {
            var tier = payload.Tiers[i];
            tiersValid = Enum.IsDefined(tier.Tier) && tier.Tier != SensitivityTier.None && !tier.ContentAddress.IsZero && !tier.Commitment.IsZero && tier.CiphertextBytes > 0
                && (i == 0 || payload.Tiers[i - 1].Tier < tier.Tier);
        }

        if (!tiersValid)
        {
            return TransactionResult.Reject(TransactionRejection.InvalidPayload, "a record has 1..3 distinct tiers in ascending order, each with a pointer, a commitment and a size");
        }

        // In 128 bits: the distance between two longs need not fit a long, and Math.Abs(long.MinValue) throws.
        if (!approving && Int128.Abs((Int128)payload.CreatedUnixMilliseconds - time) > Limits.MaxPayloadClockSkewMilliseconds)
        {
            return TransactionResult.Reject(TransactionRejection.TimeOutOfWindow, "the record's time is too far from the block time");
        }

        return TransactionResult.Accepted;
    }

    private static TransactionResult ExecuteConsentGrant(StateOverlay state, Account sender, Hash senderId, Hash grantId, ConsentGrantPayload payload, ulong height, long time)
    {
        if (sender.Role != AccountRole.Patient || sender.EffectiveUserId(senderId) != payload.Patient)
        {
            return TransactionResult.Reject(TransactionRejection.NotAuthorized, "only the patient grants access to their records");
        }

        var actorValid = payload.Actor.Kind switch
        {
            GrantActorKind.User => ReadUser(state, payload.Actor.User) is { } user && user.Account.IsActive,
            GrantActorKind.Organisation => IsActiveOrganisation(state, payload.Actor.Organisation),
            GrantActorKind.Role => Enum.IsDefined(payload.Actor.Role) && payload.Actor.Role is not (AccountRole.None or AccountRole.Patient or AccountRole.Node or AccountRole.Administrator or AccountRole.Member),
            _ => false,
        };
        if (!actorValid)
        {
            return TransactionResult.Reject(TransactionRejection.NotFound, "the grantee is not an active user, member organisation or grantable role");
        }

        var valid = payload.Actions != GrantActions.None && (payload.Actions & ~(GrantActions.Read | GrantActions.Append)) == 0
            && Enum.IsDefined(payload.Purpose) && payload.Purpose != AccessPurpose.None
            && payload.Categories.All(c => Enum.IsDefined(c) && c != RecordCategory.None) && payload.Categories.Distinct().Count() == payload.Categories.Count
            && payload.Tiers.Count > 0 && payload.Tiers.All(t => Enum.IsDefined(t) && t != SensitivityTier.None) && payload.Tiers.Distinct().Count() == payload.Tiers.Count
            && payload.Records.Distinct().Count() == payload.Records.Count && payload.Records.All(r => !r.IsZero)
            && ((payload.Actions & GrantActions.Append) == 0 || payload.Records.Count == 0)
            && payload.ValidUntilUnixMilliseconds > payload.ValidFromUnixMilliseconds;
        if (!valid)
        {
            return TransactionResult.Reject(TransactionRejection.InvalidPayload, "the grant's actions, purpose, categories, tiers, records or period are invalid");
        }

        if (payload.ValidUntilUnixMilliseconds <= time)
        {
            return TransactionResult.Reject(TransactionRejection.TimeOutOfWindow, "the grant would end before the block time");
        }

        var listKey = StateKeys.PatientGrants(payload.Patient);
        var list = state.GetValue(listKey) is { } encoded ? HashList.Decode(encoded, Limits.MaxGrantsPerPatient) : [];
        if (list.Count >= Limits.MaxGrantsPerPatient)
        {
            // Make room by forgetting grants that no longer matter: revoked or ended ones, oldest first.
            list.RemoveAll(id => state.GetValue(StateKeys.Grant(id)) is { } g && Grant.Decode(g) is var old && (old.IsRevoked || old.Terms.ValidUntilUnixMilliseconds < time));
            if (list.Count >= Limits.MaxGrantsPerPatient)
            {
                return TransactionResult.Reject(TransactionRejection.InvalidPayload, $"the patient already holds {Limits.MaxGrantsPerPatient} grants in force; revoke some first");
            }
        }

        list.Add(grantId);
        state.Set(listKey, HashList.Encode(list));
        state.Set(StateKeys.Grant(grantId), new Grant(grantId, payload, height, 0, 0).Encode());
        return TransactionResult.Accepted;
    }

    private static TransactionResult ExecuteConsentRevoke(StateOverlay state, Account sender, Hash senderId, ConsentRevokePayload payload, ulong height, long time)
    {
        var value = state.GetValue(StateKeys.Grant(payload.GrantId));
        if (value is null)
        {
            return TransactionResult.Reject(TransactionRejection.NotFound, "no such grant");
        }

        var grant = Grant.Decode(value);
        if (sender.Role != AccountRole.Patient || sender.EffectiveUserId(senderId) != grant.Terms.Patient)
        {
            return TransactionResult.Reject(TransactionRejection.NotAuthorized, "only the granting patient revokes a grant");
        }

        if (grant.IsRevoked)
        {
            return TransactionResult.Reject(TransactionRejection.AlreadyExists, "the grant is already revoked");
        }

        state.Set(StateKeys.Grant(grant.Id), (grant with { RevokedHeight = height, RevokedUnixMilliseconds = time }).Encode());
        return TransactionResult.Accepted;
    }

    private static TransactionResult ExecuteAccessLog(StateOverlay state, Account sender, AccessLogPayload payload, long time)
    {
        _ = state;
        if (sender.Role != AccountRole.Node || sender.Organisation.Length == 0)
        {
            return TransactionResult.Reject(TransactionRejection.NotAuthorized, "only a member organisation's node logs accesses");
        }

        if (payload.Entries.Count == 0)
        {
            return TransactionResult.Reject(TransactionRejection.InvalidPayload, "an access log batch has at least one entry");
        }

        foreach (var entry in payload.Entries)
        {
            var valid = Enum.IsDefined(entry.Action) && entry.Action != AccessAction.None
                && Enum.IsDefined(entry.Purpose)
                && Enum.IsDefined(entry.Reason)
                && entry.Outcome switch
                {
                    AccessOutcome.Allowed => entry.Reason == AccessDenialReason.None,
                    AccessOutcome.Denied => entry.Reason != AccessDenialReason.None,
                    _ => false,
                };
            if (!valid)
            {
                return TransactionResult.Reject(TransactionRejection.InvalidPayload, "an access log entry has an unknown action, purpose, outcome or reason");
            }

            // Entries may wait in a mempool, so only the future is bounded tightly; a day bounds the past.
            if (entry.TimeUnixMilliseconds > time + Limits.MaxPayloadClockSkewMilliseconds || entry.TimeUnixMilliseconds < time - (24L * 60 * 60 * 1000))
            {
                return TransactionResult.Reject(TransactionRejection.TimeOutOfWindow, "an access log entry's time is too far from the block time");
            }
        }

        return TransactionResult.Accepted;
    }

    private static TransactionResult ExecuteRecordErase(StateOverlay state, Account sender, Hash senderId, RecordErasePayload payload, ulong height)
    {
        var value = state.GetValue(StateKeys.Record(payload.RecordId));
        if (value is null)
        {
            return TransactionResult.Reject(TransactionRejection.NotFound, "no such record");
        }

        var record = RecordEntry.Decode(value);
        if (sender.Role != AccountRole.Patient || sender.EffectiveUserId(senderId) != record.Patient)
        {
            return TransactionResult.Reject(TransactionRejection.NotAuthorized, "only the patient erases their record");
        }

        if (record.Status == RecordStatus.Erased)
        {
            return TransactionResult.Reject(TransactionRejection.AlreadyExists, "the record is already erased");
        }

        state.Set(StateKeys.Record(record.RecordId), (record with { Status = RecordStatus.Erased, ErasedHeight = height }).Encode());
        return TransactionResult.Accepted;
    }

    private sealed class CommittedStateReader(LedgerStateMachine machine) : IStateReader
    {
        public byte[]? GetValue(ReadOnlySpan<byte> key) => machine.Query(key);
    }
}
