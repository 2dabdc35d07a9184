using System.Collections.Concurrent;
using System.Net;
using MedLedger.Consensus;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;
using MedLedger.Network;
using MedLedger.Storage;
using Microsoft.Extensions.Logging;

namespace MedLedger.Node.Consortium;

/// <summary>
/// The node's side of the peer network (docs/network.md, "Node message types"): it owns the <see cref="PeerNetwork"/>,
/// admits peers by the node keys on chain (genesis validators and active accounts with role <see cref="AccountRole.Node"/>),
/// decodes what peers send and hands it to the <see cref="ConsensusDriver"/>'s queue, gossips admitted transactions into
/// the mempool, serves block sync from the store, and penalises or disconnects peers that send invalid data.
/// Handlers run on the network's threads; everything that touches consensus state goes through the driver's queue.
/// </summary>
public sealed partial class ConsortiumNetwork : IPeerMessageHandler, IConsensusTransport, IAsyncDisposable
{
    /// <summary>Penalty for a message that does not decode, names a block it does not carry, or forges a signature.</summary>
    public const double InvalidDataPenalty = 50;

    /// <summary>Penalty the engine's <see cref="PeerMisbehaved"/> costs the peer.</summary>
    public const double MisbehaviourPenalty = 20;

    /// <summary>Own proposals kept to answer <see cref="PeerProtocol.ProposalRequestType"/> (the last few rounds).</summary>
    public const int MaxRememberedProposals = 8;

    /// <summary>Shortest time between two full copies of one proposal sent to one peer.</summary>
    public static readonly TimeSpan ProposalResendInterval = TimeSpan.FromSeconds(1);

    private readonly LedgerStateMachine _ledger;
    private readonly IChainStore _store;
    private readonly Mempool _mempool;
    private readonly ConsensusDriver _driver;
    private readonly ICryptoSuite _suite;
    private readonly ILogger _logger;
    private readonly ConsortiumKeySet _keys;
    private readonly PeerNetwork _network;
    private readonly Lock _refreshLock = new();
    private readonly TransactionGossip _gossip;
    private readonly TimeProvider _clock;
    private readonly bool _compactProposals;
    private readonly Lock _sentProposalsLock = new();
    private readonly LinkedList<SentProposal> _sentProposals = new();
    private readonly ConcurrentDictionary<Hash, byte> _checking = new();
    private int _storeDamaged;

    /// <summary>Creates the network (not started) and attaches it to <paramref name="driver"/>.</summary>
    public ConsortiumNetwork(ConsortiumNetworkOptions options, ISigningKey nodeKey, LedgerStateMachine ledger, IChainStore store, Mempool mempool, ConsensusDriver driver, TimeProvider clock, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(nodeKey);
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(driver);
        ArgumentNullException.ThrowIfNull(loggers);
        _ledger = ledger;
        _store = store;
        _mempool = mempool;
        _driver = driver;
        _suite = ledger.Suite;
        _logger = loggers.CreateLogger<ConsortiumNetwork>();
        _keys = new ConsortiumKeySet(NodeKeys(ledger));
        var networkOptions = new NetworkOptions
        {
            ChainId = ledger.ChainId,
            GenesisHash = ledger.GenesisHash,
            ListenEndpoint = new IPEndPoint(IPAddress.Loopback, options.Port),
            Seeds = options.Peers,
            MessageTypes = PeerProtocol.MessageTypes,
            MaxFrameBytes = PeerProtocol.MaxFrameBytes,
            SendQueueBytes = 4L * PeerProtocol.MaxFrameBytes,
            InboundByteBurst = 2.0 * (PeerProtocol.MaxFrameBytes + 4),
            ReconnectMaxDelay = options.ReconnectMaxDelay,
        };
        _network = new PeerNetwork(networkOptions, nodeKey, _suite, _keys, this, clock, loggers.CreateLogger<PeerNetwork>());
        _clock = clock;
        _compactProposals = options.CompactProposals;
        _gossip = new TransactionGossip(() => _network.ConnectedPeers, (peer, payload) => _network.Send(peer, PeerProtocol.TransactionBatchType, payload), clock, options.GossipFlushDelay);
        driver.Transport = this;
    }

    /// <summary>The bound peer endpoint (with the real port when 0 was asked), once started.</summary>
    public IPEndPoint? LocalEndpoint => _network.LocalEndpoint;

    /// <inheritdoc />
    public IReadOnlyList<Hash> ConnectedPeers => _network.ConnectedPeers;

    /// <summary>Number of keys currently allowed to connect.</summary>
    public int AuthorizedKeys => _keys.Count;

    /// <summary>Starts listening and dialling.</summary>
    public void Start() => _network.Start();

    /// <summary>Starts dialling another peer (<c>host:port</c>).</summary>
    public void AddPeer(string address) => _network.AddSeed(address);

    /// <summary>The transport's view: peers with their traffic, bans and counters.</summary>
    public NetworkStatus GetStatus() => _network.GetStatus();

    /// <summary>The transaction batcher (for counters in tests and status).</summary>
    public TransactionGossip Gossip => _gossip;

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _gossip.Dispose();
        await _network.DisposeAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask<MessageVerdict> HandleAsync(PeerMessage message, CancellationToken cancellationToken)
    {
        try
        {
            return ValueTask.FromResult(message.Type switch
            {
                PeerProtocol.TransactionType => AdmitTransaction(message.Payload.Span),
                PeerProtocol.ProposalType => OnProposal(message),
                PeerProtocol.VoteType => OnVote(message),
                PeerProtocol.BlocksRequestType => ServeBlocks(message.Peer, PeerProtocol.DecodeBlocksRequest(message.Payload.Span)),
                PeerProtocol.BlocksResponseType => OnBlocks(message),
                PeerProtocol.StatusType => OnStatus(message),
                PeerProtocol.TransactionBatchType => AdmitBatch(message),
                PeerProtocol.CompactProposalType => OnCompactProposal(message),
                PeerProtocol.ProposalRequestType => OnProposalRequest(message),
                _ => MessageVerdict.Ignore,
            });
        }
        catch (DecodingException exception)
        {
            return ValueTask.FromResult(RejectAndDisconnect(message.Peer, $"undecodable message of type {message.Type}: {exception.Message}"));
        }
    }

    /// <inheritdoc />
    public void PeerConnected(Hash peer)
    {
        LogPeerConnected(peer);
        _network.Send(peer, PeerProtocol.StatusType, PeerProtocol.EncodeStatus(_ledger.Height));
    }

    /// <inheritdoc />
    public void PeerDisconnected(Hash peer)
    {
        LogPeerDisconnected(peer);
        _driver.PeerLeft(peer);
    }

    /// <inheritdoc />
    public void BroadcastProposal(ProposalMessage proposal, IReadOnlyList<SignedVote> proofOfLock)
    {
        ArgumentNullException.ThrowIfNull(proposal);
        ArgumentNullException.ThrowIfNull(proofOfLock);
        if (_compactProposals)
        {
            // Peers hold the transactions from gossip: send ids, and the full block to whoever asks (ProposalRequest).
            // What waits in the batcher leaves first, on the same per-peer queues, so it arrives before the proposal.
            RememberProposal(proposal);
            _gossip.Flush();
            var ids = new Hash[proposal.Transactions.Count];
            for (var i = 0; i < ids.Length; i++)
            {
                ids[i] = proposal.Transactions[i].ComputeId(_suite);
            }

            _network.Broadcast(PeerProtocol.CompactProposalType, ConsensusMessageCodec.Encode(new CompactProposalMessage(proposal.Proposal, proposal.Header, ids)));
        }
        else
        {
            _network.Broadcast(PeerProtocol.ProposalType, ConsensusMessageCodec.Encode(proposal));
        }

        foreach (var vote in proofOfLock)
        {
            BroadcastVote(vote);
        }
    }

    /// <inheritdoc />
    public void BroadcastVote(SignedVote vote) => _network.Broadcast(PeerProtocol.VoteType, ConsensusMessageCodec.Encode(new VoteMessage(vote)));

    /// <inheritdoc />
    public void BroadcastTransactions(IReadOnlyList<Transaction> transactions)
    {
        ArgumentNullException.ThrowIfNull(transactions);
        _gossip.Enqueue(transactions, null);
    }

    /// <inheritdoc />
    public void AnnounceHeight(ulong height) => _network.Broadcast(PeerProtocol.StatusType, PeerProtocol.EncodeStatus(height));

    /// <inheritdoc />
    public bool RequestBlocks(Hash peer, ulong fromHeight) => _network.Send(peer, PeerProtocol.BlocksRequestType, PeerProtocol.EncodeBlocksRequest(fromHeight));

    /// <inheritdoc />
    public void Penalize(Hash peer, string reason) => _network.Penalize(peer, MisbehaviourPenalty, reason);

    /// <inheritdoc />
    public void ConsortiumMayHaveChanged()
    {
        // Called on the driver's loop after a commit; the scan reads committed state, which is consistent there.
        lock (_refreshLock)
        {
            _keys.Replace(NodeKeys(_ledger));
        }

        _network.RevalidatePeers();
    }

    /// <summary>
    /// The keys allowed to connect: every validator of the current set and every active account with role
    /// <see cref="AccountRole.Node"/> (the genesis node accounts and those registered since).
    /// </summary>
    public static IReadOnlyList<ReadOnlyMemory<byte>> NodeKeys(LedgerStateMachine ledger)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        var keys = new List<ReadOnlyMemory<byte>>();
        foreach (var validator in ledger.ValidatorSet.Validators)
        {
            keys.Add(validator.PublicKey);
        }

        var prefix = StateKeys.Account(Hash.Zero).AsSpan(0, StateKeys.Account(Hash.Zero).Length - Hash.Size).ToArray();
        foreach (var (key, value) in ledger.StateEntries())
        {
            if (key.Length != prefix.Length + Hash.Size || !key.AsSpan().StartsWith(prefix))
            {
                continue;
            }

            var account = Account.Decode(value);
            if (account.Role == AccountRole.Node && account.IsActive)
            {
                keys.Add(account.PublicKey);
            }
        }

        return keys;
    }

    private MessageVerdict AdmitTransaction(ReadOnlySpan<byte> payload)
    {
        var transaction = Transaction.Decode(payload);
        var id = transaction.ComputeId(_suite);
        if (_mempool.Contains(id))
        {
            return MessageVerdict.Ignore;
        }

        var check = _ledger.CheckTransaction(transaction, id);
        if (!check.IsAccepted)
        {
            // A forged signature is the relaying peer's fault (it checked before relaying); a stale nonce or an expiry
            // may just be a view of another height.
            return check.Rejection is TransactionRejection.InvalidSignature or TransactionRejection.Malformed ? MessageVerdict.Reject : MessageVerdict.Ignore;
        }

        if (!_mempool.TryAdd(transaction, id).IsAccepted)
        {
            return MessageVerdict.Ignore;
        }

        _driver.NotifyTransactionsAvailable();
        return MessageVerdict.Accept;
    }

    /// <summary>
    /// A batch of transactions from a peer: the whole batch is refused (and the peer disconnected) if it does not decode;
    /// otherwise each transaction not yet held is checked on all cores, the valid ones are admitted in batch order and
    /// relayed to the other peers in this node's batches, and a batch holding any transaction with a forged signature
    /// (which the sender should have refused) costs the peer <see cref="PeerNetwork"/>'s invalid-message penalty once.
    /// </summary>
    private MessageVerdict AdmitBatch(PeerMessage message)
    {
        var transactions = PeerProtocol.DecodeTransactionBatch(message.Payload.Span);
        var admissible = new bool[transactions.Count];
        var claimed = new bool[transactions.Count];
        var ids = new Hash[transactions.Count];
        var forged = 0;
        var options = new ParallelOptions { MaxDegreeOfParallelism = transactions.Count >= 32 ? Environment.ProcessorCount : 1 };
        var admitted = new List<Transaction>(transactions.Count);
        try
        {
            Parallel.For(0, transactions.Count, options, i =>
            {
                var transaction = transactions[i];
                var id = ids[i] = transaction.ComputeId(_suite);

                // The same transaction often arrives from several peers at once (its first node and every relay): one
                // batch claims it, the others skip it instead of verifying its signature again.
                if (_mempool.Contains(id) || !(claimed[i] = _checking.TryAdd(id, 0)))
                {
                    return;
                }

                var check = _ledger.CheckTransaction(transaction, id);
                if (check.IsAccepted)
                {
                    admissible[i] = true;
                }
                else if (check.Rejection is TransactionRejection.InvalidSignature or TransactionRejection.Malformed)
                {
                    Interlocked.Increment(ref forged);
                }
            });

            for (var i = 0; i < transactions.Count; i++)
            {
                if (admissible[i] && _mempool.TryAdd(transactions[i], ids[i]).IsAccepted)
                {
                    admitted.Add(transactions[i]);
                }
            }
        }
        finally
        {
            // Released only once the claimed transactions are in the mempool (or refused), so no other batch checks them meanwhile.
            for (var i = 0; i < transactions.Count; i++)
            {
                if (claimed[i])
                {
                    _checking.TryRemove(ids[i], out _);
                }
            }
        }

        if (admitted.Count > 0)
        {
            _gossip.Enqueue(admitted, message.Peer);
            _driver.NotifyTransactionsAvailable();
        }

        if (forged > 0)
        {
            LogForgedInBatch(message.Peer, forged, transactions.Count);
            return MessageVerdict.Reject;
        }

        return MessageVerdict.Accept;
    }

    private MessageVerdict OnCompactProposal(PeerMessage message)
    {
        if (ConsensusMessageCodec.Decode(message.Payload.Span) is not CompactProposalMessage compact)
        {
            throw new DecodingException("a compact-proposal frame carries a compact proposal");
        }

        if (compact.Proposal.Height <= _ledger.Height)
        {
            return MessageVerdict.Ignore;
        }

        var rebuilt = PeerProtocol.RebuildProposal(compact, _mempool.Find, _suite);
        if (rebuilt.Invalid is { } reason)
        {
            return RejectAndDisconnect(message.Peer, reason);
        }

        if (rebuilt.Block is null)
        {
            // Some transactions have not reached this node (or the proposer named ones that do not exist): ask for the block.
            LogFetchingProposal(message.Peer, compact.Proposal.Height, compact.Proposal.Round, rebuilt.Missing);
            _network.Send(message.Peer, PeerProtocol.ProposalRequestType, ConsensusMessageCodec.Encode(new ProposalRequest(compact.Proposal.Height, compact.Proposal.Round, compact.Proposal.BlockHash)));
            return MessageVerdict.Accept;
        }

        _driver.ProposalArrived(rebuilt.Block, message.Peer);
        return MessageVerdict.Accept;
    }

    /// <summary>
    /// Sends the full proposal this node made for (height, round, block), if it still remembers it, at most once a
    /// second per peer and proposal (a peer cannot make it send a block in a loop).
    /// </summary>
    private MessageVerdict OnProposalRequest(PeerMessage message)
    {
        if (ConsensusMessageCodec.Decode(message.Payload.Span) is not ProposalRequest request)
        {
            throw new DecodingException("a proposal-request frame carries a proposal request");
        }

        ProposalMessage? proposal = null;
        lock (_sentProposalsLock)
        {
            foreach (var sent in _sentProposals)
            {
                var p = sent.Message.Proposal;
                if (p.Height != request.Height || p.Round != request.Round || p.BlockHash != request.BlockHash)
                {
                    continue;
                }

                var now = _clock.GetTimestamp();
                if (sent.Served.TryGetValue(message.Peer, out var last) && _clock.GetElapsedTime(last, now) < ProposalResendInterval)
                {
                    return MessageVerdict.Ignore;
                }

                sent.Served[message.Peer] = now;
                proposal = sent.Message;
                break;
            }
        }

        if (proposal is not null)
        {
            _network.Send(message.Peer, PeerProtocol.ProposalType, ConsensusMessageCodec.Encode(proposal));
        }

        return MessageVerdict.Accept;
    }

    private void RememberProposal(ProposalMessage proposal)
    {
        lock (_sentProposalsLock)
        {
            foreach (var sent in _sentProposals)
            {
                if (sent.Message.Proposal == proposal.Proposal || (sent.Message.Proposal.Height == proposal.Proposal.Height && sent.Message.Proposal.Round == proposal.Proposal.Round && sent.Message.Proposal.BlockHash == proposal.Proposal.BlockHash))
                {
                    return;
                }
            }

            _sentProposals.AddFirst(new SentProposal(proposal, []));
            while (_sentProposals.Count > MaxRememberedProposals)
            {
                _sentProposals.RemoveLast();
            }
        }
    }

    private MessageVerdict OnProposal(PeerMessage message)
    {
        if (ConsensusMessageCodec.Decode(message.Payload.Span) is not ProposalMessage proposal)
        {
            throw new DecodingException("a proposal frame carries a proposal");
        }

        if (proposal.Header.ComputeHash(_suite) != proposal.Proposal.BlockHash)
        {
            return RejectAndDisconnect(message.Peer, "a proposal whose block does not hash to the proposed hash");
        }

        if (proposal.Transactions.Count != proposal.Header.TransactionCount || Block.ComputeTransactionsRoot(_suite, proposal.Transactions) != proposal.Header.TransactionsRoot)
        {
            return RejectAndDisconnect(message.Peer, "a proposal whose transactions do not match its header's transactions root");
        }

        _driver.ProposalArrived(proposal, message.Peer);
        return MessageVerdict.Accept;
    }

    private MessageVerdict OnVote(PeerMessage message)
    {
        if (ConsensusMessageCodec.Decode(message.Payload.Span) is not VoteMessage vote)
        {
            throw new DecodingException("a vote frame carries a vote");
        }

        _driver.VoteArrived(vote.Vote, message.Peer);
        return MessageVerdict.Accept;
    }

    private MessageVerdict OnBlocks(PeerMessage message)
    {
        var (blocks, more) = PeerProtocol.DecodeBlocksResponse(message.Payload.Span, _suite);
        _driver.BlocksArrived(blocks, more, message.Peer);
        return MessageVerdict.Accept;
    }

    private MessageVerdict OnStatus(PeerMessage message)
    {
        _driver.PeerHeightArrived(message.Peer, PeerProtocol.DecodeStatus(message.Payload.Span));
        return MessageVerdict.Accept;
    }

    /// <summary>
    /// Answers a block-sync request with consecutive committed blocks, up to <see cref="PeerProtocol.MaxBlocksPerResponse"/>
    /// blocks or about <see cref="PeerProtocol.ResponseTargetBytes"/>. Only blocks this node committed (it verified their
    /// certificates and executed them) are served, and each is re-checked on load (hash, transaction ids, root); a block
    /// that fails the check is never served, nor anything after it.
    /// </summary>
    private MessageVerdict ServeBlocks(Hash peer, ulong fromHeight)
    {
        var committed = _ledger.Height;
        if (Volatile.Read(ref _storeDamaged) != 0 || fromHeight > committed)
        {
            return MessageVerdict.Accept;
        }

        var blocks = new List<Block>();
        long bytes = 0;
        var height = fromHeight;
        try
        {
            for (; height <= committed && blocks.Count < PeerProtocol.MaxBlocksPerResponse; height++)
            {
                var block = _store.LoadBlock(height);
                if (block is null)
                {
                    break;
                }

                var size = 1024 + block.Transactions.Sum(t => (long)t.EncodedLength + 4);
                if (blocks.Count > 0 && bytes + size > PeerProtocol.ResponseTargetBytes)
                {
                    break;
                }

                blocks.Add(block);
                bytes += size;
            }
        }
        catch (StoreCorruptedException exception)
        {
            Volatile.Write(ref _storeDamaged, 1);
            LogStoreDamaged(height, exception.Message);
        }

        if (blocks.Count > 0)
        {
            var more = Volatile.Read(ref _storeDamaged) == 0 && blocks[^1].Header.Height < _ledger.Height;
            _network.Send(peer, PeerProtocol.BlocksResponseType, PeerProtocol.EncodeBlocksResponse(blocks, more));
        }

        return MessageVerdict.Accept;
    }

    private MessageVerdict RejectAndDisconnect(Hash peer, string reason)
    {
        LogInvalidData(peer, reason);
        _network.Penalize(peer, InvalidDataPenalty, reason);
        _network.Disconnect(peer, reason);
        return MessageVerdict.Reject;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Peer {Peer} sent a transaction batch with {Forged} of {Count} transaction(s) failing their signature or format check; the others were admitted")]
    private partial void LogForgedInBatch(Hash peer, int forged, int count);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Compact proposal from {Peer} for height {Height} round {Round} names {Missing} transaction(s) this node lacks; asking for the block")]
    private partial void LogFetchingProposal(Hash peer, ulong height, uint round, int missing);

    [LoggerMessage(Level = LogLevel.Information, Message = "Peer {Peer} connected")]
    private partial void LogPeerConnected(Hash peer);

    [LoggerMessage(Level = LogLevel.Information, Message = "Peer {Peer} disconnected")]
    private partial void LogPeerDisconnected(Hash peer);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Peer {Peer} sent invalid data and is disconnected: {Reason}")]
    private partial void LogInvalidData(Hash peer, string reason);

    private sealed record SentProposal(ProposalMessage Message, Dictionary<Hash, long> Served);

    [LoggerMessage(Level = LogLevel.Error, Message = "Stored block {Height} fails its check ({Reason}); this node serves no more blocks. Run 'medledger chain verify'.")]
    private partial void LogStoreDamaged(ulong height, string reason);
}

/// <summary>How a node joins the peer network.</summary>
/// <param name="Port">TCP port on 127.0.0.1 for peers (0 picks a free one).</param>
/// <param name="Peers">Addresses (<c>host:port</c>) to dial.</param>
public sealed record ConsortiumNetworkOptions(int Port, IReadOnlyList<string> Peers)
{
    /// <summary>Longest wait between dials of a peer that is down.</summary>
    public TimeSpan ReconnectMaxDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Send proposals as header and transaction ids (peers fetch the block when they lack any); false sends whole blocks.</summary>
    public bool CompactProposals { get; init; } = true;

    /// <summary>How long gossiped transactions wait for others before their batch leaves (<see cref="TransactionGossip"/>).</summary>
    public TimeSpan GossipFlushDelay { get; init; } = TransactionGossip.DefaultFlushDelay;
}
