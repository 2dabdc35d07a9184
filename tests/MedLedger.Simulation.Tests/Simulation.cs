using MedLedger.Consensus;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;

namespace MedLedger.Simulation.Tests;

/// <summary>How a simulated validator departs from the protocol.</summary>
internal enum Behaviour
{
    /// <summary>Follows the protocol (it may still crash and restart).</summary>
    Honest,

    /// <summary>Sends nothing at all and answers no request.</summary>
    Silent,

    /// <summary>Signs a second, conflicting vote for each of its votes and splits them between peers.</summary>
    DoubleVoter,

    /// <summary>Proposes two different blocks in each of its rounds and splits them between peers.</summary>
    EquivocatingProposer,

    /// <summary>Replaces each new block it proposes by one whose state root is wrong.</summary>
    InvalidBlockProposer,
}

/// <summary>What a scenario varies; the seed draws the rest (rates, delays, partitions, crashes, clocks).</summary>
/// <param name="Name">Shown in failure messages.</param>
/// <param name="Validators">n.</param>
/// <param name="Byzantine">The Byzantine behaviours to place on distinct validators chosen by the seed (at most f).</param>
/// <param name="NetworkFaults">Loss, duplication, long delays and partitions before the heal.</param>
/// <param name="Crashes">Honest validators crash and restart before the heal.</param>
/// <param name="HeightsAfterHeal">K: heights every honest node must commit after the heal.</param>
/// <param name="Standby">Honest node accounts beyond the genesis validators, which start as verifiers (credit chains only).</param>
/// <param name="EpochLength">Blocks per epoch of a credit chain (docs/credit.md), whose proposals carry a commit report and
/// whose set is re-elected at every boundary; 0 for a chain without credit.</param>
internal sealed record Scenario(string Name, int Validators, IReadOnlyList<Behaviour> Byzantine, bool NetworkFaults, bool Crashes, int HeightsAfterHeal = 3, int Standby = 0, ulong EpochLength = 0);

/// <summary>A run that broke a property; the message names the seed.</summary>
internal sealed class SimulationFailure(string message) : Exception(message);

/// <summary>What a successful run did, for the summary line.</summary>
internal sealed record SimulationStatistics(ulong Heights, uint HighestRound, long Messages, int Evidence, int RealVerifications, int Restarts, int SetChanges = 0, int MembershipChanges = 0);

/// <summary>
/// One seeded run: n real <see cref="TendermintEngine"/>s, each with its own <see cref="LedgerStateMachine"/>, exchanging
/// messages encoded by <see cref="ConsensusMessageCodec"/> over a virtual network driven by one event queue in virtual
/// time. Until the heal the network loses, duplicates, delays (and so reorders) messages and partitions nodes; honest
/// nodes crash (losing everything but the guard, the saved lock and committed blocks) and restart; every node's clock
/// runs at its own rate from its own offset. Byzantine validators run the real engine but lie on the wire. After the heal,
/// every honest node must commit K more heights within a bound of virtual time. Safety is checked at every commit.
/// Every choice comes from <see cref="Random"/> seeded with the run's seed, so a run replays from its seed.
/// </summary>
internal sealed class Simulation
{
    private const long Millisecond = 1_000;
    private const long Second = 1_000 * Millisecond;
    private const long LivenessBound = 90 * Second;

    private static readonly TendermintOptions Options = new()
    {
        TimeoutPropose = TimeSpan.FromMilliseconds(500),
        TimeoutProposeDelta = TimeSpan.FromMilliseconds(100),
        TimeoutPrevote = TimeSpan.FromMilliseconds(200),
        TimeoutPrevoteDelta = TimeSpan.FromMilliseconds(100),
        TimeoutPrecommit = TimeSpan.FromMilliseconds(200),
        TimeoutPrecommitDelta = TimeSpan.FromMilliseconds(100),
        RebroadcastInterval = TimeSpan.FromMilliseconds(600),
    };

    private readonly int _seed;
    private readonly Scenario _scenario;
    private readonly Random _random;
    private readonly CachingCryptoSuite _suite = new(SimulationChain.Suite);
    private readonly GenesisDocument _genesis;
    private readonly SimulatedNode[] _nodes;
    private readonly Dictionary<Hash, int> _indexById = [];
    private readonly PriorityQueue<Action, (long Time, long Sequence)> _events = new();
    private readonly Dictionary<ulong, (Hash Block, Hash StateRoot)> _decided = [];
    private readonly List<(long Start, long End, HashSet<int> Side)> _partitions = [];
    private readonly Hash _adminId = SimulationChain.KeyId(SimulationChain.Admin);

    private long _now;
    private long _sequence;
    private long _messages;
    private int _evidence;
    private int _restarts;
    private int _setChanges;
    private int _membershipChanges;
    private uint _highestRound;
    private bool _faultsActive;
    private long _healTime;
    private int _arrived;
    private double _lossRate;
    private double _duplicateRate;
    private long _maxDelay;
    private ulong _target;
    private bool _done;

    public Simulation(int seed, Scenario scenario)
    {
        _seed = seed;
        _scenario = scenario;
        _random = new Random(seed);
        _genesis = scenario.EpochLength == 0
            ? SimulationChain.Genesis(scenario.Validators)
            : SimulationChain.CreditGenesis(scenario.Validators, scenario.Standby, scenario.EpochLength);
        var verified = new VerifiedSignatures();
        var byzantine = Shuffle(Enumerable.Range(0, scenario.Validators).ToList()).Take(scenario.Byzantine.Count).ToList();
        _nodes = new SimulatedNode[scenario.Validators + scenario.Standby];
        for (var i = 0; i < _nodes.Length; i++)
        {
            var slot = byzantine.IndexOf(i);
            var key = SimulationChain.ValidatorKeys[i];
            _nodes[i] = new SimulatedNode(i, key, slot >= 0 ? scenario.Byzantine[slot] : Behaviour.Honest, LedgerStateMachine.FromGenesis(_genesis, verified))
            {
                Rate = 0.9 + (0.2 * _random.NextDouble()),
                Offset = _random.NextInt64(-2 * Second, 2 * Second),
            };
            _indexById[_nodes[i].Id] = i;
        }
    }

    /// <summary>Runs to the liveness target; throws <see cref="SimulationFailure"/> naming the seed on any violation.</summary>
    public SimulationStatistics Run()
    {
        try
        {
            Setup();
            while (!_done && _events.TryDequeue(out var action, out var at))
            {
                _now = at.Time;
                if (_now > _healTime + LivenessBound)
                {
                    var heights = string.Join(", ", Honest.Select(n => $"node {n.Index}: height {n.Ledger.Height}, engine {n.Engine?.Height}/{n.Engine?.Round}/{n.Engine?.Step}, locked {n.Engine?.LockedRound}, valid {n.Engine?.ValidRound}, guard refusals {n.Signer.Refusals}"));
                    Fail($"liveness: honest nodes did not reach height {_target} within {LivenessBound / Second} s after the heal (heights {heights})");
                }

                action();
            }

            if (!_done)
            {
                Fail("the event queue ran dry before the liveness target");
            }
        }
        catch (SimulationFailure)
        {
            throw;
        }
        catch (Exception exception)
        {
            throw new SimulationFailure($"{Describe()}: {exception.GetType().Name} at virtual time {_now / Millisecond} ms: {exception}");
        }

        return new SimulationStatistics(Honest.Min(n => n.Ledger.Height), _highestRound, _messages, _evidence, _suite.RealVerifications, _restarts, _setChanges, _membershipChanges);
    }

    private IEnumerable<SimulatedNode> Honest => _nodes.Where(n => n.Behaviour == Behaviour.Honest);

    private string Describe() => $"seed {_seed} ({_scenario.Name}; replay with MEDLEDGER_SIM_SEED={_seed})";

    private void Setup()
    {
        _faultsActive = _scenario.NetworkFaults || _scenario.Crashes;
        _healTime = (3 * Second) + _random.NextInt64(5 * Second);
        if (_scenario.NetworkFaults)
        {
            _lossRate = 0.3 * _random.NextDouble();
            _duplicateRate = 0.2 * _random.NextDouble();
            _maxDelay = (20 * Millisecond) + _random.NextInt64(400 * Millisecond);
            var partitions = _random.Next(3);
            for (var i = 0; i < partitions; i++)
            {
                var start = _random.NextInt64(_healTime);
                var end = Math.Min(_healTime, start + (300 * Millisecond) + _random.NextInt64(4 * Second));
                var side = Shuffle(Enumerable.Range(0, _nodes.Length).ToList()).Take(1 + _random.Next(_nodes.Length - 1)).ToHashSet();
                _partitions.Add((start, end, side));
            }
        }
        else
        {
            _maxDelay = (5 * Millisecond) + _random.NextInt64(60 * Millisecond);
            _duplicateRate = 0.05 * _random.NextDouble();
        }

        if (_scenario.Crashes)
        {
            var crashes = 1 + _random.Next(3);
            for (var i = 0; i < crashes; i++)
            {
                var honest = Honest.ToList();
                var node = honest[_random.Next(honest.Count)];
                var at = _random.NextInt64(_healTime);
                var downtime = (100 * Millisecond) + _random.NextInt64(3 * Second);
                At(at, () => Crash(node));
                At(Math.Min(at + downtime, _healTime), () => Restart(node));
            }
        }

        var arrivalInterval = (250 * Millisecond) + _random.NextInt64(500 * Millisecond);
        At(0, () => ArriveTransaction(arrivalInterval));
        foreach (var node in _nodes)
        {
            At(_random.NextInt64(50 * Millisecond), () => Restart(node));
        }

        At(_healTime, Heal);
    }

    private void Heal()
    {
        _faultsActive = false;
        _lossRate = 0;
        _maxDelay = Math.Min(_maxDelay, 50 * Millisecond);
        foreach (var node in _nodes.Where(n => n.Engine is null))
        {
            Restart(node);
        }

        _target = Honest.Max(n => n.Ledger.Height) + (ulong)_scenario.HeightsAfterHeal;
        CheckDone();
    }

    private void CheckDone()
    {
        if (!_faultsActive && _target > 0 && Honest.All(n => n.Ledger.Height >= _target))
        {
            _done = true;
        }
    }

    private void ArriveTransaction(long interval)
    {
        if (_arrived >= SimulationChain.TransactionPoolSize)
        {
            return;
        }

        _arrived++;
        foreach (var node in _nodes.Where(n => n.Engine is not null))
        {
            Feed(node, new TransactionsAvailable());
        }

        At(_now + interval, () => ArriveTransaction(interval));
    }

    private static void Crash(SimulatedNode node)
    {
        if (node.Engine is null)
        {
            return;
        }

        // Everything volatile goes: the engine, its timers (by epoch), received blocks. The guard, the saved lock and
        // the committed chain stay, as they do on disk.
        node.Engine = null;
        node.Epoch++;
        node.Blocks.Clear();
    }

    private void Restart(SimulatedNode node)
    {
        if (node.Engine is not null)
        {
            return;
        }

        if (node.Epoch > 0)
        {
            _restarts++;
        }

        node.Epoch++;
        node.Engine = new TendermintEngine(node.Signer, SimulationChain.ChainId, _suite, Options);
        ConsensusLock? saved = null;
        if (node.SavedLock is { } locked && locked.Lock.Height == node.Ledger.Height + 1)
        {
            saved = locked.Lock;
            node.Blocks[locked.Lock.BlockHash] = locked.Block with { Prepared = null };
        }

        Feed(node, new EngineStarted(node.Ledger.Height, node.Ledger.ValidatorSet, saved));
        if (Pending(node).Count > 0)
        {
            Feed(node, new TransactionsAvailable());
        }
    }

    /// <summary>Hands one input to a node's engine and carries out the outputs, and the inputs they lead to, in order.</summary>
    private void Feed(SimulatedNode node, ConsensusInput input)
    {
        var queue = new Queue<ConsensusInput>();
        queue.Enqueue(input);
        var epoch = node.Epoch;
        while (queue.TryDequeue(out var next))
        {
            if (node.Engine is not { } engine || node.Epoch != epoch)
            {
                return;
            }

            foreach (var output in engine.Handle(next))
            {
                Execute(node, output, queue);
            }

            _highestRound = Math.Max(_highestRound, engine.Round);
        }
    }

    private void Execute(SimulatedNode node, ConsensusOutput output, Queue<ConsensusInput> queue)
    {
        switch (output)
        {
            case BuildProposal build:
                {
                    Check(build.Height == node.Ledger.Height + 1, $"node {node.Index} was asked to build height {build.Height} at {node.Ledger.Height}");
                    var proposal = node.Ledger.PrepareBlock(node.LocalMilliseconds(_now) + SimulationChain.GenesisTime, node.Id, Pending(node).Take(3), lastCommit: LastCommit(node));
                    var hash = proposal.Header.ComputeHash(_suite);
                    node.Blocks[hash] = new CachedBlock(proposal.Header, proposal.Transactions, proposal.Prepared, true);
                    queue.Enqueue(new ProposalBuilt(build.Height, build.Round, hash));
                    break;
                }

            case ScheduleTimeout timeout:
                Timer(node, timeout.Delay, new TimeoutElapsed(timeout.Height, timeout.Round, timeout.Step));
                break;
            case ScheduleRebroadcast rebroadcast:
                Timer(node, rebroadcast.Delay, new RebroadcastElapsed(rebroadcast.Height, rebroadcast.Round));
                break;
            case BroadcastVote broadcast:
                SendVote(node, broadcast.Vote);
                break;
            case BroadcastProposal broadcast:
                SendProposal(node, broadcast);
                break;
            case ValidateProposal validate:
                {
                    var block = node.Blocks.GetValueOrDefault(validate.BlockHash)
                        ?? throw new SimulationFailure($"{Describe()}: node {node.Index} was asked to validate a block it never received");
                    queue.Enqueue(new ProposalValidated(validate.Height, validate.BlockHash, Validate(node, validate.BlockHash, block) is not null));
                    break;
                }

            case CommitBlock commit:
                CommitBlock(node, commit);
                queue.Enqueue(new BlockCommitted(commit.Height, node.Ledger.ValidatorSet));
                if (Pending(node).Count > 0)
                {
                    queue.Enqueue(new TransactionsAvailable());
                }

                break;
            case SaveLock save:
                node.SavedLock = (save.Lock, node.Blocks.GetValueOrDefault(save.Lock.BlockHash)
                    ?? throw new SimulationFailure($"{Describe()}: node {node.Index} locked on a block it does not hold"));
                break;
            case SyncNeeded sync:
                {
                    var peer = _indexById.TryGetValue(sync.Peer, out var index) && index != node.Index ? index : (node.Index + 1 + _random.Next(_nodes.Length - 1)) % _nodes.Length;
                    Send(node, peer, new CommitRequest(sync.Height));
                    break;
                }

            case EvidenceFound found:
                _evidence++;
                if (_nodes[_indexById[found.Evidence.Validator]].Behaviour == Behaviour.Honest)
                {
                    Fail($"node {node.Index} found evidence against honest validator {_indexById[found.Evidence.Validator]}: {found.Evidence}");
                }

                break;
            case PeerMisbehaved misbehaved:
                if (_indexById.TryGetValue(misbehaved.Peer, out var accused) && _nodes[accused].Behaviour == Behaviour.Honest)
                {
                    Fail($"node {node.Index} reported honest peer {accused}: {misbehaved.Reason}");
                }

                break;
            default:
                Fail($"unhandled engine output {output}");
                break;
        }
    }

    /// <summary>Executes a received block once per node and height; null when it is invalid.</summary>
    private static PreparedState? Validate(SimulatedNode node, Hash hash, CachedBlock block)
    {
        if (block.Valid == false)
        {
            return null;
        }

        if (block.Prepared is not null)
        {
            return block.Prepared;
        }

        try
        {
            var prepared = node.Ledger.ExecuteBlock(block.Header, block.Transactions);
            node.Blocks[hash] = block with { Prepared = prepared, Valid = true };
            return prepared;
        }
        catch (InvalidBlockException)
        {
            node.Blocks[hash] = block with { Valid = false };
            return null;
        }
    }

    private void CommitBlock(SimulatedNode node, CommitBlock commit)
    {
        var block = node.Blocks.GetValueOrDefault(commit.BlockHash);
        Check(block is not null, $"node {node.Index} decided block {commit.BlockHash.ToShortString()} at height {commit.Height} without holding it");
        Check(commit.Height == node.Ledger.Height + 1, $"node {node.Index} decided height {commit.Height} at {node.Ledger.Height}");
        var problem = node.Ledger.ValidatorSet.VerifyCommit(_suite, SimulationChain.ChainId, commit.Height, commit.BlockHash, commit.Certificate);
        Check(problem is null, $"node {node.Index}'s certificate for height {commit.Height} does not verify: {problem}");
        var prepared = Validate(node, commit.BlockHash, block!);
        Check(prepared is not null, $"node {node.Index} decided an invalid block at height {commit.Height}");
        var setBefore = node.Ledger.ValidatorSet;
        node.Ledger.Commit(block!.Header, block.Transactions, prepared!);
        node.Chain.Add(new Block(block.Header, block.Transactions, commit.Certificate));
        foreach (var stale in node.Blocks.Where(b => b.Value.Header.Height <= commit.Height).Select(b => b.Key).ToList())
        {
            node.Blocks.Remove(stale);
        }

        if (node.Behaviour == Behaviour.Honest)
        {
            if (_decided.TryGetValue(commit.Height, out var first))
            {
                Check(first.Block == commit.BlockHash, $"fork: node {node.Index} committed {commit.BlockHash.ToShortString()} at height {commit.Height}, another honest node {first.Block.ToShortString()}");
                Check(first.StateRoot == node.Ledger.StateRoot, $"state roots differ at height {commit.Height}");
            }
            else
            {
                _decided[commit.Height] = (commit.BlockHash, node.Ledger.StateRoot);
                if (!ReferenceEquals(setBefore, node.Ledger.ValidatorSet))
                {
                    _setChanges++;
                    if (!setBefore.Validators.Select(v => v.KeyId).SequenceEqual(node.Ledger.ValidatorSet.Validators.Select(v => v.KeyId)))
                    {
                        _membershipChanges++;
                    }
                }
            }
        }

        CheckDone();
    }

    private void Receive(SimulatedNode node, SimulatedNode sender, byte[] payload)
    {
        if (node.Engine is null)
        {
            return;
        }

        switch (ConsensusMessageCodec.Decode(payload))
        {
            case ProposalMessage message:
                {
                    var hash = message.Header.ComputeHash(_suite);
                    if (hash != message.Proposal.BlockHash)
                    {
                        return;
                    }

                    if (message.Header.Height > node.Ledger.Height && !node.Blocks.ContainsKey(hash))
                    {
                        node.Blocks[hash] = new CachedBlock(message.Header, message.Transactions, null, null);
                    }

                    Feed(node, new ProposalReceived(message.Proposal, sender.Id));
                    break;
                }

            case VoteMessage message:
                Feed(node, new VoteReceived(message.Vote, sender.Id));
                break;
            case CommitRequest request:
                if (node.Behaviour != Behaviour.Silent && request.Height >= 1 && request.Height <= node.Ledger.Height)
                {
                    var block = node.Chain[(int)request.Height - 1];
                    Send(node, sender.Index, new CommitResponse(block.Header, block.Transactions, block.Certificate));
                }

                break;
            case CommitResponse response:
                {
                    var hash = response.Header.ComputeHash(_suite);
                    if (hash != response.Certificate.BlockHash || response.Header.Height != node.Ledger.Height + 1)
                    {
                        return;
                    }

                    if (!node.Blocks.ContainsKey(hash))
                    {
                        node.Blocks[hash] = new CachedBlock(response.Header, response.Transactions, null, null);
                    }

                    Feed(node, new CommitReceived(response.Certificate, sender.Id));
                    break;
                }
        }
    }

    private void SendVote(SimulatedNode node, SignedVote vote)
    {
        if (node.Behaviour == Behaviour.DoubleVoter && vote.Validator == node.Id)
        {
            var other = vote.BlockHash.IsZero ? _suite.Hash(BitConverter.GetBytes(_random.NextInt64())) : Hash.Zero;
            var conflicting = vote with
            {
                BlockHash = other,
                Signature = node.Key.Sign(Vote.EncodeSigningBytes(SimulationChain.ChainId, vote.Type, vote.Height, vote.Round, other)),
            };
            foreach (var peer in Peers(node))
            {
                var choice = _random.Next(3);
                if (choice != 1)
                {
                    Send(node, peer, new VoteMessage(vote));
                }

                if (choice != 0)
                {
                    Send(node, peer, new VoteMessage(conflicting));
                }
            }

            return;
        }

        foreach (var peer in Peers(node))
        {
            Send(node, peer, new VoteMessage(vote));
        }
    }

    private void SendProposal(SimulatedNode node, BroadcastProposal broadcast)
    {
        var proposal = broadcast.Proposal;
        var block = node.Blocks.GetValueOrDefault(proposal.BlockHash)
            ?? throw new SimulationFailure($"{Describe()}: node {node.Index} proposed a block it does not hold");
        var message = new ProposalMessage(proposal, block.Header, block.Transactions);
        ProposalMessage? alternative = null;
        var replaceAll = false;
        if (node.Behaviour == Behaviour.EquivocatingProposer)
        {
            var other = node.Ledger.PrepareBlock(block.Header.TimeUnixMilliseconds + 1 + _random.Next(1000), node.Id, Pending(node).Skip(1).Take(2), lastCommit: LastCommit(node));
            alternative = Forge(node, proposal, other.Header, other.Transactions);
        }
        else if (node.Behaviour == Behaviour.InvalidBlockProposer && proposal.ProofOfLockRound < 0)
        {
            var tampered = block.Header with { StateRoot = _suite.Hash(BitConverter.GetBytes(_random.NextInt64())) };
            alternative = Forge(node, proposal, tampered, block.Transactions);
            replaceAll = true;
        }

        foreach (var peer in Peers(node))
        {
            var choice = alternative is null ? 0 : replaceAll ? 1 : _random.Next(3);
            if (choice != 1)
            {
                Send(node, peer, message);
            }

            if (choice != 0)
            {
                Send(node, peer, alternative!);
            }

            foreach (var vote in broadcast.ProofOfLock)
            {
                Send(node, peer, new VoteMessage(vote));
            }
        }
    }

    /// <summary>A proposal for another block in the same round, signed with the raw key (no guard): what a Byzantine node can do.</summary>
    private ProposalMessage Forge(SimulatedNode node, SignedProposal proposal, BlockHeader header, IReadOnlyList<Transaction> transactions)
    {
        var hash = header.ComputeHash(_suite);
        var signature = node.Key.Sign(Proposal.EncodeSigningBytes(SimulationChain.ChainId, proposal.Height, proposal.Round, hash, proposal.ProofOfLockRound));
        return new ProposalMessage(proposal with { BlockHash = hash, Signature = signature }, header, transactions);
    }

    /// <summary>The certificate of the node's last committed block, which a credit chain's proposal reports (null before block 1).</summary>
    private static CommitCertificate? LastCommit(SimulatedNode node) => node.Chain.Count == 0 ? null : node.Chain[^1].Certificate;

    private IEnumerable<int> Peers(SimulatedNode node) => Enumerable.Range(0, _nodes.Length).Where(i => i != node.Index);

    private void Send(SimulatedNode from, int to, ConsensusMessage message)
    {
        if (from.Engine is null || from.Behaviour == Behaviour.Silent)
        {
            return;
        }

        var payload = ConsensusMessageCodec.Encode(message);
        if (_faultsActive && (_random.NextDouble() < _lossRate || Partitioned(from.Index, to)))
        {
            return;
        }

        var copies = _random.NextDouble() < _duplicateRate ? 2 : 1;
        for (var i = 0; i < copies; i++)
        {
            _messages++;
            var target = _nodes[to];
            At(_now + 1 + _random.NextInt64(_maxDelay), () => Receive(target, from, payload));
        }
    }

    private bool Partitioned(int a, int b) =>
        _partitions.Any(p => _now >= p.Start && _now < p.End && p.Side.Contains(a) != p.Side.Contains(b));

    private void Timer(SimulatedNode node, TimeSpan delay, ConsensusInput input)
    {
        var epoch = node.Epoch;
        var realDelay = (long)(delay.Ticks / 10.0 / node.Rate);
        At(_now + Math.Max(1, realDelay), () =>
        {
            if (node.Epoch == epoch && node.Engine is not null)
            {
                Feed(node, input);
            }
        });
    }

    /// <summary>Transactions submitted so far that the node's committed state has not executed yet, in nonce order.</summary>
    private List<Transaction> Pending(SimulatedNode node)
    {
        var executed = (int)(node.Ledger.GetAccount(_adminId)?.Nonce ?? 0);
        return [.. SimulationChain.Transactions.Skip(executed).Take(Math.Max(0, _arrived - executed))];
    }

    private void At(long time, Action action) => _events.Enqueue(action, (time, _sequence++));

    private List<int> Shuffle(List<int> items)
    {
        for (var i = items.Count - 1; i > 0; i--)
        {
            var j = _random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }

        return items;
    }

    private void Check(bool condition, string message)
    {
        if (!condition)
        {
            Fail(message);
        }
    }

    private void Fail(string message) => throw new SimulationFailure($"{Describe()}: {message} (virtual time {_now / Millisecond} ms)");

    /// <summary>A block a node holds before commit: built, received with a proposal or fetched by block sync.</summary>
    private sealed record CachedBlock(BlockHeader Header, IReadOnlyList<Transaction> Transactions, PreparedState? Prepared, bool? Valid);

    /// <summary>One simulated validator: durable parts (guard, saved lock, ledger, chain) and volatile ones (engine, blocks).</summary>
    private sealed class SimulatedNode(int index, ISigningKey key, Behaviour behaviour, LedgerStateMachine ledger)
    {
        public int Index { get; } = index;

        public ISigningKey Key { get; } = key;

        public Hash Id { get; } = SimulationChain.KeyId(key);

        public Behaviour Behaviour { get; } = behaviour;

        public MemorySigner Signer { get; } = new(key, SimulationChain.ChainId);

        public LedgerStateMachine Ledger { get; } = ledger;

        public List<Block> Chain { get; } = [];

        public (ConsensusLock Lock, CachedBlock Block)? SavedLock { get; set; }

        public TendermintEngine? Engine { get; set; }

        public int Epoch { get; set; }

        public Dictionary<Hash, CachedBlock> Blocks { get; } = [];

        public double Rate { get; init; } = 1;

        public long Offset { get; init; }

        /// <summary>The node's own clock, in milliseconds since the simulation began (skewed by offset and rate).</summary>
        public long LocalMilliseconds(long now) => Math.Max(0, (long)((Offset + (now * Rate)) / Millisecond));
    }
}
