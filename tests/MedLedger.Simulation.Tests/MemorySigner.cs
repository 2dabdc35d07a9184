using MedLedger.Consensus;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;

namespace MedLedger.Simulation.Tests;

/// <summary>
/// The double-sign guard of a simulated validator, with the rules of the node's <c>FileVoteSigner</c>: it records the
/// (height, round, step, block) it signs, refuses any later request at an earlier position or at the same position for
/// another block, and allows re-signing the identical message — also the last one of each step after later positions, as
/// <see cref="IConsensusSigner"/> asks. The object outlives the simulated node's crashes, as the guard's file outlives
/// the process.
/// </summary>
internal sealed class MemorySigner(ISigningKey key, string chainId) : IConsensusSigner
{
    private readonly Dictionary<ConsensusStep, GuardRecord> _lastByStep = [];
    private (ulong Height, uint Round, ConsensusStep Step, Hash Block)? _last;

    public Hash ValidatorId { get; } = SimulationChain.KeyId(key);

    public int Refusals { get; private set; }

    public byte[]? Sign(VoteType type, ulong height, uint round, Hash blockHash) =>
        Guard(height, round, type == VoteType.Prevote ? ConsensusStep.Prevote : ConsensusStep.Precommit, blockHash)
            ? key.Sign(Vote.EncodeSigningBytes(chainId, type, height, round, blockHash))
            : null;

    public byte[]? SignProposal(ulong height, uint round, Hash blockHash, int proofOfLockRound) =>
        Guard(height, round, ConsensusStep.Propose, blockHash)
            ? key.Sign(Proposal.EncodeSigningBytes(chainId, height, round, blockHash, proofOfLockRound))
            : null;

    public GuardRecord? LastSigned(ConsensusStep kind) => _lastByStep.GetValueOrDefault(kind);

    private bool Guard(ulong height, uint round, ConsensusStep step, Hash blockHash)
    {
        if (_lastByStep.GetValueOrDefault(step) == new GuardRecord(height, round, blockHash))
        {
            return true;
        }

        if (_last is { } last)
        {
            var order = (last.Height, last.Round, (byte)last.Step).CompareTo((height, round, (byte)step));
            if (order > 0 || (order == 0 && last.Block != blockHash))
            {
                Refusals++;
                return false;
            }
        }

        _last = (height, round, step, blockHash);
        _lastByStep[step] = new GuardRecord(height, round, blockHash);
        return true;
    }
}
