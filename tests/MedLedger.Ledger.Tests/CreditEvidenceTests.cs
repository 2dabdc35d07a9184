using MedLedger.Core;
using static MedLedger.Ledger.Tests.CreditTestSupport;

namespace MedLedger.Ledger.Tests;

/// <summary>Double-vote evidence (docs/credit.md, "Evidence"): the valid case and every refusal.</summary>
public sealed class CreditEvidenceTests
{
    private static DoubleVoteEvidencePayload Evidence(MedicalChain chain, string offender, ulong height, Crypto.ISigningKey? secondSigner = null, VoteType type = VoteType.Prevote, uint round = 0, Hash? first = null, Hash? second = null)
    {
        var key = chain[offender].Node;
        var firstHash = first ?? chain.NextHash("block");
        var secondHash = second ?? chain.NextHash("block");
        return new DoubleVoteEvidencePayload(chain[offender].NodeId, type, height, round, firstHash, SignVote(key, type, height, round, firstHash), secondHash, SignVote(secondSigner ?? key, type, height, round, secondHash));
    }

    private static Transaction Submit(MedicalChain chain, Crypto.ISigningKey sender, DoubleVoteEvidencePayload payload) =>
        chain.Sign(sender, TransactionType.DoubleVoteEvidence, payload.Encode());

    // Proves valid evidence (built by the factory from raw fields, in either order) halves the offender's score, jails it
    // until the next epoch and counts the offence; the same offence with another pair of votes is then refused.
    [Fact]
    public void DoubleVote_Valid_CutsScoreAndJails_ThenDuplicateRefused()
    {
        using var chain = FiveNodes(Simple(epochLength: 3));
        chain.Accept();
        var before = ScoreOf(chain, D);
        var payload = Evidence(chain, D, 1);
        var fromFactory = CreditTransactions.DoubleVoteEvidence(MedicalChain.Suite, chain[C].Node, MedicalChain.ChainId, 1, 100, payload.Validator, payload.Type, payload.Height, payload.Round, payload.SecondBlockHash, payload.SecondSignature, payload.FirstBlockHash, payload.FirstSignature);
        var reversed = CreditTransactions.DoubleVoteEvidence(MedicalChain.Suite, chain[C].Node, MedicalChain.ChainId, 1, 100, payload.Validator, payload.Type, payload.Height, payload.Round, payload.FirstBlockHash, payload.FirstSignature, payload.SecondBlockHash, payload.SecondSignature);
        Assert.Equal(fromFactory.Payload.ToArray(), reversed.Payload.ToArray());
        chain.Admit(fromFactory);

        // A proposes the evidence block, so D's score moves only by the vote reward and the cut (the round-robin
        // proposer depends on the random key ids: D proposing it would add the proposer reward).
        chain.ProposerOverride = chain[A].NodeId;
        chain.Accept(fromFactory);

        // D signed block 1's certificate (+2 in block 2), then lost half.
        Assert.Equal((before + 2) / 2, ScoreOf(chain, D));
        Assert.Equal(1U, CreditOf(chain, D).Offences);
        Assert.Equal(1UL, CreditOf(chain, D).JailedUntilEpoch);
        Assert.True(CreditOf(chain, D).IsJailedFor(1));
        Assert.False(CreditOf(chain, D).IsJailedFor(2));
        chain.Refuse(Submit(chain, chain[B].Node, Evidence(chain, D, 1)), TransactionRejection.AlreadyExists);

        // Another round is another offence.
        chain.Accept(Submit(chain, chain[B].Node, Evidence(chain, D, 1, round: 1)));
        Assert.Equal(2U, CreditOf(chain, D).Offences);
    }

    // Proves evidence that proves nothing is refused, each with its code: identical votes, a forged second signature,
    // votes of a key that was not a validator, a height not yet reached, a sender that is not a node, an unknown type.
    // (Admission checks only the envelope; these are execution rules.)
    [Fact]
    public void DoubleVote_Invalid_RefusedWithCodes()
    {
        using var chain = FiveNodes(Simple(epochLength: 3));
        chain.Accept();
        var same = chain.NextHash("block");
        chain.Refuse(Submit(chain, chain[B].Node, Evidence(chain, D, 1, first: same, second: same)), TransactionRejection.InvalidEvidence);
        chain.Refuse(Submit(chain, chain[B].Node, Evidence(chain, D, 1, secondSigner: chain[A].Node)), TransactionRejection.InvalidEvidence);
        chain.Refuse(Submit(chain, chain[B].Node, Evidence(chain, E, 1)), TransactionRejection.NotFound);
        chain.Refuse(Submit(chain, chain[B].Node, Evidence(chain, D, 5)), TransactionRejection.InvalidEvidence);
        chain.Refuse(Submit(chain, chain[B].Admin, Evidence(chain, D, 1)), TransactionRejection.NotAuthorized);
        chain.Refuse(Submit(chain, chain[B].Node, Evidence(chain, D, 1, type: (VoteType)9)), TransactionRejection.InvalidPayload);

        Assert.Equal(0U, CreditOf(chain, D).Offences);

        // Votes for the height being decided (block 2, not yet committed when the engine saw them) are already evidence.
        chain.Accept(Submit(chain, chain[B].Node, Evidence(chain, D, 2)));
        Assert.Equal(1U, CreditOf(chain, D).Offences);
    }

    // Proves evidence older than the window (4 blocks here) is refused, while evidence just inside it is accepted.
    [Fact]
    public void DoubleVote_OutsideWindow_RefusedAsTooOld()
    {
        using var chain = FiveNodes(Simple(epochLength: 3, evidenceMaxAge: 4));
        for (var i = 0; i < 6; i++)
        {
            chain.Accept();
        }

        // The next block is 7: height 3 is 4 blocks back (inside), height 2 is 5 back (outside).
        chain.Refuse(Submit(chain, chain[B].Node, Evidence(chain, D, 2)), TransactionRejection.EvidenceTooOld);
        chain.Accept(Submit(chain, chain[B].Node, Evidence(chain, D, 3)));
        Assert.Equal(1U, CreditOf(chain, D).Offences);
    }
}
