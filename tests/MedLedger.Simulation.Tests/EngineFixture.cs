using MedLedger.Consensus;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;

namespace MedLedger.Simulation.Tests;

/// <summary>
/// One <see cref="TendermintEngine"/> among four validators of power 1 (quorum 3, skip 2), driven input by input. The
/// other validators' votes and proposals are signed here with their real keys. Validators are numbered in key-id order,
/// so the proposer of (h, r) is validator (h + r) mod 4.
/// </summary>
internal sealed class EngineFixture
{
    public const string ChainId = "medledger-engine-tests";

    public static readonly TendermintOptions Options = new()
    {
        TimeoutPropose = TimeSpan.FromMilliseconds(500),
        TimeoutProposeDelta = TimeSpan.FromMilliseconds(100),
        TimeoutPrevote = TimeSpan.FromMilliseconds(200),
        TimeoutPrevoteDelta = TimeSpan.FromMilliseconds(50),
        TimeoutPrecommit = TimeSpan.FromMilliseconds(300),
        TimeoutPrecommitDelta = TimeSpan.FromMilliseconds(60),
        WaitForTransactions = false,
    };

    private readonly ISigningKey[] _keys;

    public EngineFixture(int local, TendermintOptions? options = null, MemorySigner? signer = null, bool verifier = false)
    {
        _keys = [.. SimulationChain.ValidatorKeys.Take(4).OrderBy(SimulationChain.KeyId)];
        Ids = [.. _keys.Select(SimulationChain.KeyId)];
        Validators = new ValidatorSet(_keys.Select((key, i) => new Validator(Ids[i], key.PublicKey.ToArray(), 1, $"validator-{i}")));
        Local = local;
        Signer = verifier ? null : signer ?? new MemorySigner(_keys[local], ChainId);
        Engine = new TendermintEngine(Signer, ChainId, Suite, options ?? Options);
    }

    public static ICryptoSuite Suite => SimulationChain.Suite;

    public Hash[] Ids { get; }

    public ValidatorSet Validators { get; }

    public int Local { get; }

    public MemorySigner? Signer { get; }

    public TendermintEngine Engine { get; }

    /// <summary>A block hash standing for a block the driver holds (the engine only ever sees hashes).</summary>
    public static Hash Block(string name) => Suite.Hash(System.Text.Encoding.UTF8.GetBytes(name));

    public List<ConsensusOutput> Handle(ConsensusInput input) => [.. Engine.Handle(input)];

    public List<ConsensusOutput> Start(ConsensusLock? saved = null) => Handle(new EngineStarted(0, Validators, saved));

    public SignedVote Vote(int validator, VoteType type, ulong height, uint round, Hash block) =>
        new(Ids[validator], type, height, round, block, _keys[validator].Sign(Ledger.Vote.EncodeSigningBytes(ChainId, type, height, round, block)));

    public SignedProposal Proposal(int proposer, ulong height, uint round, Hash block, int proofOfLockRound = -1) =>
        new(Ids[proposer], height, round, block, proofOfLockRound, _keys[proposer].Sign(Consensus.Proposal.EncodeSigningBytes(ChainId, height, round, block, proofOfLockRound)));

    /// <summary>Hands in votes of <paramref name="validators"/> and returns every output.</summary>
    public List<ConsensusOutput> Votes(VoteType type, uint round, Hash block, params int[] validators) =>
        [.. validators.SelectMany(v => Handle(new VoteReceived(Vote(v, type, 1, round, block), Ids[v])))];

    /// <summary>The proposal of (1, round) by its proposer, validated as <paramref name="valid"/> when the engine asks.</summary>
    public List<ConsensusOutput> Propose(uint round, Hash block, int proofOfLockRound = -1, bool valid = true)
    {
        var proposer = (int)((1 + round) % 4);
        var outputs = Handle(new ProposalReceived(Proposal(proposer, 1, round, block, proofOfLockRound), Ids[proposer]));
        if (outputs.OfType<ValidateProposal>().Any(v => v.BlockHash == block))
        {
            outputs.AddRange(Handle(new ProposalValidated(1, block, valid)));
        }

        return outputs;
    }

    /// <summary>The local validator's one vote of <paramref name="type"/> among <paramref name="outputs"/>.</summary>
    public SignedVote OwnVote(IEnumerable<ConsensusOutput> outputs, VoteType type) =>
        Assert.Single(outputs.OfType<BroadcastVote>().Select(b => b.Vote), v => v.Type == type && v.Validator == Ids[Local]);
}
