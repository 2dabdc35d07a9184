using System.Buffers.Binary;
using MedLedger.Core;

namespace MedLedger.Ledger;

// Credit and epoch elections (SPEC F8, docs/credit.md, ADR 0009). Everything here is a pure function of the block and the
// state before it; it writes state only on chains whose genesis carries credit parameters, so older chains keep their
// state roots byte for byte.
public sealed partial class LedgerStateMachine
{
    // The set history never holds more than the evidence window's epochs plus the current and the oldest needed set.
    private const int MaxValidatorHistory = (int)CreditParameters.MaxEpochsInEvidenceWindow + 4;

    /// <summary>The chain's credit parameters, or null on a chain without credit.</summary>
    public CreditParameters? Credit => Genesis.Credit;

    /// <summary>The committed epoch of the next block, or null on a chain without credit.</summary>
    public EpochState? CurrentEpoch => Query(StateKeys.Epoch()) is { } value ? EpochState.Decode(value) : null;

    /// <summary>The height at whose end the next election runs, or null on a chain without credit.</summary>
    public ulong? NextElectionHeight => CurrentEpoch?.NextElectionHeight;

    /// <summary>The committed credit of the node with this key id, or null when it is not a tracked node.</summary>
    public CreditRecord? GetCredit(Hash keyId) => Query(StateKeys.Credit(keyId)) is { } value ? CreditRecord.Decode(value) : null;

    /// <summary>The committed credit of every tracked node, in key-id order (empty on a chain without credit).</summary>
    public IReadOnlyList<(Hash KeyId, CreditRecord Credit)> GetCredits()
    {
        _commitLock.EnterReadLock();
        try
        {
            return [.. ReadCreditNodes(_state).Select(id => (id, ReadCredit(_state, id) ?? throw new InvariantViolationException("every tracked node has a credit record")))];
        }
        finally
        {
            _commitLock.ExitReadLock();
        }
    }

    /// <summary>
    /// The validator set that signs (or signed) the block at <paramref name="height"/>, from 1 up to the next height; null
    /// for a later height or one older than the kept history (the evidence window). Block sync and the node's start-up
    /// check verify a certificate of height h against this set.
    /// </summary>
    public ValidatorSet? ValidatorSetAt(ulong height)
    {
        _commitLock.EnterReadLock();
        try
        {
            if (height == 0 || height > Height + 1)
            {
                return null;
            }

            return Genesis.Credit is null ? ValidatorSet : ReadValidatorSetAt(_state, height);
        }
        finally
        {
            _commitLock.ExitReadLock();
        }
    }

    /// <summary>What the node with this key id does at the next height (see <see cref="NodeRoleOf(IStateReader, ValidatorSet, Hash)"/>).</summary>
    public NodeRole NodeRoleOf(Hash keyId)
    {
        _commitLock.EnterReadLock();
        try
        {
            return NodeRoleOf(_state, ValidatorSet, keyId);
        }
        finally
        {
            _commitLock.ExitReadLock();
        }
    }

    /// <summary>
    /// A node's role, as a pure function of state and the validator set of the next height: <see cref="NodeRole.Validator"/>
    /// when in the set; otherwise, for an account with role <see cref="AccountRole.Node"/>, <see cref="NodeRole.Auditor"/>
    /// when its organisation is a regulator and <see cref="NodeRole.Verifier"/> when not; <see cref="NodeRole.None"/> for
    /// any other key.
    /// </summary>
    public static NodeRole NodeRoleOf(IStateReader state, ValidatorSet validators, Hash keyId)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(validators);
        if (validators.Find(keyId) is not null)
        {
            return NodeRole.Validator;
        }

        var account = ReadAccount(state, keyId);
        if (account is null || account.Role != AccountRole.Node)
        {
            return NodeRole.None;
        }

        var organisation = account.Organisation.Length == 0 ? null : state.GetValue(StateKeys.Organisation(account.Organisation));
        return organisation is not null && Organisation.Decode(organisation).Kind == OrganisationKind.Regulator ? NodeRole.Auditor : NodeRole.Verifier;
    }

    /// <summary>
    /// Voting power from credit scores, in the given order (docs/credit.md, "Power"): with fewer than four validators every
    /// power is 1; otherwise each is its score (at least 1) capped at the largest c for which 3·c is still below the sum
    /// of the capped powers, so that no single validator holds a third of the power.
    /// </summary>
    public static ulong[] ComputePowers(IReadOnlyList<ulong> scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        if (scores.Count < 4)
        {
            return [.. scores.Select(_ => 1UL)];
        }

        var basis = scores.Select(s => Math.Max(s, 1UL)).ToArray();
        var high = basis.Max();
        if (Feasible(high))
        {
            return basis;
        }

        // Feasible(1) holds (n ≥ 4 > 3); the capped sum minus 3c is concave in c, so feasibility is a prefix of 1..high.
        ulong low = 1;
        while (high - low > 1)
        {
            var middle = low + ((high - low) / 2);
            if (Feasible(middle))
            {
                low = middle;
            }
            else
            {
                high = middle;
            }
        }

        return [.. basis.Select(b => Math.Min(b, low))];

        bool Feasible(ulong cap)
        {
            UInt128 sum = 0;
            foreach (var b in basis)
            {
                sum += Math.Min(b, cap);
            }

            return (UInt128)cap * 3 < sum;
        }
    }

    private static List<Hash> ReadCreditNodes(IStateReader state) =>
        state.GetValue(StateKeys.CreditNodes()) is { } value ? HashList.Decode(value, CreditParameters.MaxNodes) : [];

    private static CreditRecord? ReadCredit(IStateReader state, Hash keyId) =>
        state.GetValue(StateKeys.Credit(keyId)) is { } value ? CreditRecord.Decode(value) : null;

    private static ValidatorSet? ReadValidatorSetAt(IStateReader state, ulong height)
    {
        var history = state.GetValue(StateKeys.ValidatorHistory()) is { } value ? HeightList.Decode(value, MaxValidatorHistory) : [];
        for (var i = history.Count - 1; i >= 0; i--)
        {
            if (history[i] <= height)
            {
                var encoded = state.GetValue(StateKeys.ValidatorSetSince(history[i])) ?? throw new InvariantViolationException("every height in the set history has its set");
                return ValidatorSet.Decode(encoded);
            }
        }

        return null;
    }

    private static void UpdateCredit(StateOverlay state, Hash keyId, Func<CreditRecord, CreditRecord> change)
    {
        if (ReadCredit(state, keyId) is { } record)
        {
            state.Set(StateKeys.Credit(keyId), change(record).Encode());
        }
    }

    private static ulong Add(ulong score, ulong amount) => score > ulong.MaxValue - amount ? ulong.MaxValue : score + amount;

    private static ulong Subtract(ulong score, ulong amount) => score > amount ? score - amount : 0;

    /// <summary>Adds a new node account to the credit index with <paramref name="record"/> (a fresh record when null).</summary>
    private TransactionResult TrackNode(StateOverlay state, Hash keyId, string organisation, CreditRecord? record, Hash replaces = default)
    {
        if (Genesis.Credit is not { } credit)
        {
            return TransactionResult.Accepted;
        }

        var nodes = ReadCreditNodes(state);
        if (!replaces.IsZero)
        {
            nodes.Remove(replaces);
        }

        if (nodes.Count >= CreditParameters.MaxNodes)
        {
            return TransactionResult.Reject(TransactionRejection.InvalidPayload, $"the consortium already has {CreditParameters.MaxNodes} node accounts");
        }

        var at = nodes.BinarySearch(keyId);
        Invariant.Check(at < 0, "a new node key is not tracked yet");
        nodes.Insert(~at, keyId);
        state.Set(StateKeys.CreditNodes(), HashList.Encode(nodes));
        state.Set(StateKeys.Credit(keyId), (record ?? new CreditRecord(credit.InitialCredit, organisation, 0, 0, 0, 0, 0, 0)).Encode());
        return TransactionResult.Accepted;
    }

    private TransactionResult ExecuteCommitReport(StateOverlay state, Transaction transaction, Hash transactionId, BlockContext block)
    {
        var credit = Genesis.Credit ?? throw new InvariantViolationException("commit reports execute on credit chains only");
        if (transaction.ChainId != ChainId)
        {
            return TransactionResult.Reject(TransactionRejection.WrongChain, $"the transaction is for chain '{transaction.ChainId}', this is '{ChainId}'");
        }

        if (!transaction.Sender.IsZero || transaction.Signature.Length != 0 || transaction.Nonce != block.Height || transaction.ExpiryHeight != block.Height)
        {
            return TransactionResult.Reject(TransactionRejection.InvalidPayload, "a commit report has no sender and no signature, and names its block's height as nonce and expiry");
        }

        CommitCertificate certificate;
        try
        {
            certificate = CommitCertificate.Decode(transaction.Payload.Span);
        }
        catch (DecodingException exception)
        {
            return TransactionResult.Reject(TransactionRejection.InvalidPayload, exception.Message);
        }

        var previous = block.Height - 1;
        if (previous != 0 && state.GetValue(StateKeys.LastReportedHeight()) is { } reported && BinaryPrimitives.ReadUInt64BigEndian(reported) >= previous)
        {
            return TransactionResult.Reject(TransactionRejection.AlreadyExists, $"the commit of block {previous} is already reported");
        }

        if (block.Index != 0)
        {
            return TransactionResult.Reject(TransactionRejection.MisplacedTransaction, $"a commit report must be the first transaction of its block, not number {block.Index}");
        }

        if (previous == 0)
        {
            return TransactionResult.Reject(TransactionRejection.InvalidCertificate, "block 1 has no previous block to report");
        }

        if (certificate.Height != previous)
        {
            return TransactionResult.Reject(TransactionRejection.InvalidCertificate, $"the certificate is for height {certificate.Height}, the previous block is {previous}");
        }

        if (certificate.BlockHash != LastBlockHash)
        {
            return TransactionResult.Reject(TransactionRejection.InvalidCertificate, $"the certificate is for block {certificate.BlockHash.ToShortString()}, not the previous block {LastBlockHash.ToShortString()}");
        }

        var validators = ReadValidatorSetAt(state, previous) ?? throw new InvariantViolationException("the set history covers the previous height");

        // Signatures are a pure function of the payload and the signers' public keys, so they are checked once per
        // transaction id (the proposer's own execution, and nodes sharing a cache); membership and quorum always.
        var message = Vote.EncodeSigningBytes(ChainId, VoteType.Precommit, previous, certificate.Round, certificate.BlockHash);
        var checkSignatures = !_verified.Contains(transactionId);
        var signers = new HashSet<Hash>();
        ulong power = 0;
        foreach (var signature in certificate.Signatures)
        {
            var validator = validators.Find(signature.Validator);
            if (validator is null)
            {
                return TransactionResult.Reject(TransactionRejection.InvalidCertificate, $"signer {signature.Validator.ToShortString()} is not a validator of block {previous}");
            }

            if (checkSignatures && !Suite.Verify(validator.PublicKey, message, signature.Signature))
            {
                return TransactionResult.Reject(TransactionRejection.InvalidCertificate, $"the precommit signature of validator {signature.Validator.ToShortString()} does not verify");
            }

            signers.Add(signature.Validator);
            power += validator.Power;
        }

        if (power < validators.QuorumPower)
        {
            return TransactionResult.Reject(TransactionRejection.InvalidCertificate, $"the signers hold {power} of {validators.TotalPower} power; more than two thirds is needed");
        }

        if (checkSignatures)
        {
            _verified.Add(transactionId);
        }

        foreach (var validator in validators.Validators)
        {
            if (signers.Contains(validator.KeyId))
            {
                UpdateCredit(state, validator.KeyId, r => r with { Score = Add(r.Score, credit.VoteReward), SignedCommits = r.SignedCommits + 1 });
            }
            else
            {
                UpdateCredit(state, validator.KeyId, r => r with { Score = Subtract(r.Score, credit.MissedVotePenalty), MissedCommits = r.MissedCommits + 1 });
            }
        }

        var height = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(height, previous);
        state.Set(StateKeys.LastReportedHeight(), height);
        return TransactionResult.Accepted;
    }

    private TransactionResult ExecuteDoubleVoteEvidence(StateOverlay state, Account sender, DoubleVoteEvidencePayload payload, ulong height)
    {
        var credit = Genesis.Credit ?? throw new InvariantViolationException("evidence executes on credit chains only");
        if (sender.Role != AccountRole.Node)
        {
            return TransactionResult.Reject(TransactionRejection.NotAuthorized, "only node accounts submit evidence");
        }

        if (payload.Type is not (VoteType.Prevote or VoteType.Precommit))
        {
            return TransactionResult.Reject(TransactionRejection.InvalidPayload, "the vote type is unknown");
        }

        if (payload.FirstBlockHash == payload.SecondBlockHash)
        {
            return TransactionResult.Reject(TransactionRejection.InvalidEvidence, "the two votes are for the same block: that is no double vote");
        }

        if (payload.Height == 0 || payload.Height > height)
        {
            return TransactionResult.Reject(TransactionRejection.InvalidEvidence, $"the votes are for height {payload.Height}, which is not yet reached (this block is {height})");
        }

        if (payload.Height + credit.EvidenceMaxAgeBlocks < height)
        {
            return TransactionResult.Reject(TransactionRejection.EvidenceTooOld, $"the votes are older than the evidence window of {credit.EvidenceMaxAgeBlocks} blocks");
        }

        var validators = ReadValidatorSetAt(state, payload.Height);
        if (validators is null)
        {
            return TransactionResult.Reject(TransactionRejection.EvidenceTooOld, $"the validator set of height {payload.Height} is no longer kept");
        }

        var validator = validators.Find(payload.Validator);
        if (validator is null)
        {
            return TransactionResult.Reject(TransactionRejection.NotFound, $"{payload.Validator.ToShortString()} is not a validator of height {payload.Height}");
        }

        if (!Suite.Verify(validator.PublicKey, Vote.EncodeSigningBytes(ChainId, payload.Type, payload.Height, payload.Round, payload.FirstBlockHash), payload.FirstSignature)
            || !Suite.Verify(validator.PublicKey, Vote.EncodeSigningBytes(ChainId, payload.Type, payload.Height, payload.Round, payload.SecondBlockHash), payload.SecondSignature))
        {
            return TransactionResult.Reject(TransactionRejection.InvalidEvidence, "a vote's signature does not verify under the validator's key");
        }

        var offence = StateKeys.Offence(payload.ComputeOffenceId(Suite));
        if (state.GetValue(offence) is not null)
        {
            return TransactionResult.Reject(TransactionRejection.AlreadyExists, "this double vote is already punished");
        }

        var recorded = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(recorded, height);
        state.Set(offence, recorded);
        var jailedUntil = credit.EpochOf(height) + credit.JailEpochs;
        UpdateCredit(state, payload.Validator, r => r with
        {
            Score = r.Score - (ulong)((UInt128)r.Score * credit.DoubleVotePenaltyPercent / 100),
            JailedUntilEpoch = Math.Max(r.Offences == 0 ? 0 : r.JailedUntilEpoch, jailedUntil),
            Offences = r.Offences + 1,
        });
        return TransactionResult.Accepted;
    }

    /// <summary>The end of every block on a credit chain: the proposer's and the data rewards, then the election at a boundary.</summary>
    private void EndBlock(StateOverlay state, BlockContext block, IReadOnlyList<Transaction> transactions)
    {
        if (Genesis.Credit is not { } credit)
        {
            return;
        }

        UpdateCredit(state, block.Proposer, r => r with { Score = Add(r.Score, credit.ProposerReward), ProposedBlocks = r.ProposedBlocks + 1 });

        Dictionary<string, uint>? records = null;
        foreach (var transaction in transactions)
        {
            if (transaction.Type == TransactionType.RecordAnchor)
            {
                records ??= new Dictionary<string, uint>(StringComparer.Ordinal);
                var organisation = RecordAnchorPayload.Decode(transaction.Payload.Span).Organisation;
                records[organisation] = records.GetValueOrDefault(organisation) + 1;
            }
        }

        if (records is not null)
        {
            foreach (var keyId in ReadCreditNodes(state))
            {
                var record = ReadCredit(state, keyId) ?? throw new InvariantViolationException("every tracked node has a credit record");
                if (records.TryGetValue(record.Organisation, out var count))
                {
                    var paid = Math.Min(count, credit.MaxDataRewardsPerBlock);
                    state.Set(StateKeys.Credit(keyId), (record with { Score = Add(record.Score, paid * credit.DataReward), DataRecords = record.DataRecords + paid }).Encode());
                }
            }
        }

        if (credit.IsElectionHeight(block.Height))
        {
            Elect(state, block.Height, credit);
        }
    }

    /// <summary>
    /// The election at the end of block <paramref name="height"/> (docs/credit.md, "Election"): the set for the next epoch
    /// is the top <see cref="CreditParameters.MaxValidators"/> eligible nodes by score, ties to the lower key id, with
    /// powers from <see cref="ComputePowers"/>; the old set stays when nobody is eligible.
    /// </summary>
    private static void Elect(StateOverlay state, ulong height, CreditParameters credit)
    {
        var nextEpoch = height / credit.EpochLength;
        var nodes = ReadCreditNodes(state);
        var kept = new List<Hash>(nodes.Count);
        var candidates = new List<(Hash KeyId, Account Account, ulong Score)>();
        foreach (var keyId in nodes)
        {
            var account = ReadAccount(state, keyId);
            var record = ReadCredit(state, keyId) ?? throw new InvariantViolationException("every tracked node has a credit record");
            var organisation = account is null || account.Organisation.Length == 0 ? null : state.GetValue(StateKeys.Organisation(account.Organisation)) is { } value ? Organisation.Decode(value) : null;
            if (account is null || !account.IsActive || (account.Organisation.Length != 0 && organisation?.Status != OrganisationStatus.Active))
            {
                // Revoked, replaced, or of a removed organisation: it can never be elected again, so the index forgets it
                // (its credit record stays for the record).
                continue;
            }

            kept.Add(keyId);
            if (account.Role == AccountRole.Node && organisation is not null && organisation.Kind != OrganisationKind.Regulator && !record.IsJailedFor(nextEpoch))
            {
                candidates.Add((keyId, account, record.Score));
            }
        }

        if (kept.Count != nodes.Count)
        {
            state.Set(StateKeys.CreditNodes(), HashList.Encode(kept));
        }

        state.Set(StateKeys.Epoch(), new EpochState(nextEpoch, height + 1, height + credit.EpochLength).Encode());
        if (candidates.Count == 0)
        {
            return;
        }

        var elected = candidates.OrderByDescending(c => c.Score).ThenBy(c => c.KeyId).Take(credit.MaxValidators).ToList();
        var powers = ComputePowers([.. elected.Select(e => e.Score)]);
        var set = new ValidatorSet(elected.Select((e, i) => new Validator(e.KeyId, e.Account.PublicKey, powers[i], e.Account.Name)));
        var encoded = set.Encode();
        if (state.GetValue(StateKeys.Validators()) is { } current && current.AsSpan().SequenceEqual(encoded))
        {
            return;
        }

        state.Set(StateKeys.Validators(), encoded);
        var since = height + 1;
        var history = state.GetValue(StateKeys.ValidatorHistory()) is { } list ? HeightList.Decode(list, MaxValidatorHistory) : [];

        // A set is kept while some height it covers is still inside the evidence window of a future block.
        while (history.Count > 1 && history[1] + credit.EvidenceMaxAgeBlocks <= since)
        {
            state.Delete(StateKeys.ValidatorSetSince(history[0]));
            history.RemoveAt(0);
        }

        history.Add(since);
        state.Set(StateKeys.ValidatorHistory(), HeightList.Encode(history));
        state.Set(StateKeys.ValidatorSetSince(since), encoded);
    }

    /// <summary>Where a transaction executes: the block's height, time and proposer, and the transaction's position in it.</summary>
    private readonly record struct BlockContext(ulong Height, long Time, Hash Proposer, int Index);
}
