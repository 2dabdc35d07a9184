namespace MedLedger.Consensus;

/// <summary>
/// Timeouts of the BFT engine. Each step's timeout grows linearly with the round, <c>base + round × delta</c>
/// (the paper's partial-synchrony assumption: once delays are bounded, some round's timeouts exceed them), and is
/// capped at <see cref="MaxTimeout"/> so that a very high round cannot overflow.
/// </summary>
public sealed record TendermintOptions
{
    /// <summary>How long to wait for the round's proposal before prevoting nil, in round 0.</summary>
    public TimeSpan TimeoutPropose { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Added to <see cref="TimeoutPropose"/> per round.</summary>
    public TimeSpan TimeoutProposeDelta { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>After prevotes of more than two thirds for anything, how long to wait for a quorum on one block.</summary>
    public TimeSpan TimeoutPrevote { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Added to <see cref="TimeoutPrevote"/> per round.</summary>
    public TimeSpan TimeoutPrevoteDelta { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>After precommits of more than two thirds for anything, how long to wait before the next round.</summary>
    public TimeSpan TimeoutPrecommit { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Added to <see cref="TimeoutPrecommit"/> per round.</summary>
    public TimeSpan TimeoutPrecommitDelta { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// How often the engine re-sends its own messages of the current height (and relays the proof of lock of its valid
    /// block), so that a lost message cannot stall a round: the paper assumes gossip that eventually delivers every
    /// message a correct process received; a lossy transport needs this to come close.
    /// </summary>
    public TimeSpan RebroadcastInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Upper bound of any single timeout.</summary>
    public TimeSpan MaxTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// When true (the default, as on a single validator), a height starts only once transactions wait here or a peer
    /// is already working on it, so an idle chain makes no empty blocks. A started height always ends with a block.
    /// </summary>
    public bool WaitForTransactions { get; init; } = true;

    /// <summary>The timeout of <paramref name="step"/> in <paramref name="round"/>.</summary>
    public TimeSpan TimeoutFor(ConsensusStep step, uint round)
    {
        var (initial, delta) = step switch
        {
            ConsensusStep.Propose => (TimeoutPropose, TimeoutProposeDelta),
            ConsensusStep.Prevote => (TimeoutPrevote, TimeoutPrevoteDelta),
            _ => (TimeoutPrecommit, TimeoutPrecommitDelta),
        };
        var ticks = (Int128)initial.Ticks + ((Int128)delta.Ticks * round);
        return ticks >= MaxTimeout.Ticks ? MaxTimeout : TimeSpan.FromTicks((long)ticks);
    }
}
