using MedLedger.Consensus;
using MedLedger.Ledger;
using MedLedger.Node.Consortium;
using MedLedger.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace MedLedger.Node.Tests;

/// <summary>
/// The node's part of the credit rules (docs/credit.md) on a consortium of in-process validators over real TLS: every
/// proposal opens with the previous block's certificate (the commit report), so the validators that signed it earn the
/// vote reward; and a validator that double-votes is reported by the honest nodes in an evidence transaction that cuts
/// its credit and jails it.
/// </summary>
public sealed class CreditConsortiumTests
{
    // No election within the test: the set stays the four genesis validators.
    private static readonly CreditParameters Credit = CreditParameters.Default with { EpochLength = 1_000 };

    [Fact]
    public async Task CreditChain_EveryProposalCarriesTheCommitReport_AndSignersEarnTheVoteReward()
    {
        await using var consortium = TestConsortium.Create(credit: Credit);
        await consortium.StartAllAsync();
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal("committed", (await consortium.Client(i).SubmitAsync(consortium.NextAnchor(), waitForCommit: true)).Status);
        }

        await consortium.WaitForHeightAsync(4);
        await consortium.AssertSameChainAsync(4);
        var services = consortium.App(0).Services;
        Assert.True(services.GetRequiredService<LedgerStateMachine>().Height >= 2, "no block after the first, so no commit report to check");
        var store = services.GetRequiredService<IChainStore>();
        var ledger = services.GetRequiredService<LedgerStateMachine>();
        var reported = 0UL;
        for (ulong height = 2; height <= ledger.Height; height++)
        {
            var block = store.LoadBlock(height)!;
            Assert.Equal(TransactionType.CommitReport, block.Transactions[0].Type);
            reported += (ulong)store.LoadBlock(height - 1)!.Certificate.Signatures.Count;
        }

        // Each validator's score is the initial credit plus what the blocks paid it; together they earned the proposer
        // reward per block and the vote reward per reported signature, less the missed-vote penalties.
        var credits = consortium.NodeKeys.Select(k => ledger.GetCredit(TestConsortium.Suite.Hash(k.PublicKey.Span))!).ToList();
        Assert.Equal(reported, credits.Aggregate(0UL, (sum, c) => sum + c.SignedCommits));
        Assert.Equal(ledger.Height, credits.Aggregate(0UL, (sum, c) => sum + c.ProposedBlocks));
        var missed = credits.Aggregate(0UL, (sum, c) => sum + c.MissedCommits);
        var expected = (4 * Credit.InitialCredit) + (ledger.Height * Credit.ProposerReward) + (reported * Credit.VoteReward) - (missed * Credit.MissedVotePenalty);
        Assert.Equal(expected, credits.Aggregate(0UL, (sum, c) => sum + c.Score));
    }

    [Fact]
    public async Task ADoubleVotingValidator_IsReportedByTheHonestNodes_AndLosesCreditAndIsJailed()
    {
        // Three honest validators run; the test plays the fourth and, for the first height it sees votes for, signs two
        // prevotes for different blocks in the same round. The honest engines catch the double vote, their evidence
        // reporters put an evidence transaction on chain, and the offender's credit is cut in half and jailed.
        await using var consortium = TestConsortium.Create(credit: Credit);
        for (var i = 0; i < 3; i++)
        {
            await consortium.StartAsync(i);
        }

        var suite = TestConsortium.Suite;
        var byzantine = consortium.NodeKeys[3];
        var byzantineId = suite.Hash(byzantine.PublicKey.Span);
        var doubleVoted = 0;
        await using var peer = new FakePeer(byzantine, consortium.Genesis, consortium.Running.Select(i => NodeHost.PeerAddress(consortium.App(i))!));
        peer.OnMessage = message =>
        {
            if (message.Type != PeerProtocol.VoteType || ConsensusMessageCodec.Decode(message.Payload.Span) is not VoteMessage { Vote: var vote }
                || Interlocked.CompareExchange(ref doubleVoted, 1, 0) != 0)
            {
                return;
            }

            foreach (var block in new[] { TestNode.RandomCommitment(), TestNode.RandomCommitment() })
            {
                var signature = byzantine.Sign(Vote.EncodeSigningBytes(TestConsortium.ChainId, VoteType.Prevote, vote.Height, vote.Round, block));
                peer.Broadcast(PeerProtocol.VoteType, ConsensusMessageCodec.Encode(new VoteMessage(new SignedVote(byzantineId, VoteType.Prevote, vote.Height, vote.Round, block, signature))));
            }
        };
        await peer.WaitForPeersAsync(3, TimeSpan.FromSeconds(15));

        var ledger = consortium.App(0).Services.GetRequiredService<LedgerStateMachine>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (ledger.GetCredit(byzantineId) is not { Offences: > 0 })
        {
            Assert.True(DateTime.UtcNow < deadline, $"no evidence committed (double vote sent: {doubleVoted == 1}, height {ledger.Height})");
            await consortium.Client(ledger.Height % 2 == 0 ? 1 : 2).SubmitAsync(consortium.NextAnchor(), waitForCommit: true);
        }

        var offender = ledger.GetCredit(byzantineId)!;
        Assert.Equal(1U, offender.Offences);
        Assert.True(offender.Score <= Credit.InitialCredit / 2, $"score {offender.Score} was not cut by half");
        Assert.True(offender.IsJailedFor(Credit.EpochOf(ledger.Height) + 1));
        await consortium.WaitForHeightAsync(ledger.Height);
        await consortium.AssertSameChainAsync(ledger.Height);
    }
}
