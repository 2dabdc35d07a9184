using System.Net.Security;
using System.Threading.Channels;
using MedLedger.Core;

namespace MedLedger.Network;

/// <summary>
/// One authenticated connection after the handshake: the TLS stream, the bounded send queue with the single task
/// that writes it, the inbound rate-limit buckets and the traffic counters. Reading and dispatch live in
/// <see cref="PeerNetwork"/>; this class owns the stream and disposes it.
/// </summary>
internal sealed class PeerConnection : IAsyncDisposable
{
    private const int WriteBufferBytes = 64 * 1024;

    private readonly SslStream _stream;
    private readonly Channel<OutboundFrame> _queue;
    private readonly CancellationTokenSource _closing;
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TimeProvider _time;
    private readonly long _maxQueueBytes;
    private long _queuedBytes;
    private int _closeRequested;
    private string? _closeReason;
    private long _messagesReceived;
    private long _bytesReceived;
    private long _messagesSent;
    private long _bytesSent;
    private long _rateLimited;
    private long _lastReceived;
    private long _lastSent;

    public PeerConnection(
        SslStream stream,
        byte[] publicKey,
        Hash keyId,
        PeerDirection direction,
        string remoteEndPoint,
        string advertisedAddress,
        NetworkOptions options,
        TimeProvider time,
        CancellationToken stopping)
    {
        _stream = stream;
        _time = time;
        _maxQueueBytes = options.SendQueueBytes;
        _queue = Channel.CreateBounded<OutboundFrame>(new BoundedChannelOptions(options.SendQueueMessages)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
        });
        _closing = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        PublicKey = publicKey;
        KeyId = keyId;
        Direction = direction;
        RemoteEndPoint = remoteEndPoint;
        AdvertisedAddress = advertisedAddress;
        ConnectedAt = time.GetUtcNow();
        MessageBucket = new TokenBucket(options.InboundMessagesPerSecond, options.InboundMessageBurst, time);
        ByteBucket = new TokenBucket(options.InboundBytesPerSecond, options.InboundByteBurst, time);
        _lastReceived = _lastSent = time.GetTimestamp();
    }

    public byte[] PublicKey { get; }

    public Hash KeyId { get; }

    public PeerDirection Direction { get; }

    public string RemoteEndPoint { get; }

    public string AdvertisedAddress { get; }

    public DateTimeOffset ConnectedAt { get; }

    public SslStream Stream => _stream;

    public TokenBucket MessageBucket { get; }

    public TokenBucket ByteBucket { get; }

    /// <summary>Cancelled when the connection is asked to close (or the network stops).</summary>
    public CancellationToken Closing => _closing.Token;

    /// <summary>Completes once the connection is unregistered and its stream disposed.</summary>
    public Task Closed => _closed.Task;

    /// <summary>Why the connection closed: the first reason given to <see cref="RequestClose"/>.</summary>
    public string? CloseReason => Volatile.Read(ref _closeReason);

    public TimeSpan SinceLastReceived => _time.GetElapsedTime(Interlocked.Read(ref _lastReceived));

    public TimeSpan SinceLastSent => _time.GetElapsedTime(Interlocked.Read(ref _lastSent));

    public long RateLimitedMessages => Interlocked.Read(ref _rateLimited);

    /// <summary>Queues a frame for the writer; never blocks.</summary>
    public EnqueueResult TryEnqueue(byte type, ReadOnlyMemory<byte> payload)
    {
        if (Volatile.Read(ref _closeRequested) != 0)
        {
            return EnqueueResult.Closed;
        }

        if (Interlocked.Add(ref _queuedBytes, payload.Length) > _maxQueueBytes)
        {
            Interlocked.Add(ref _queuedBytes, -payload.Length);
            return EnqueueResult.Overflow;
        }

        if (!_queue.Writer.TryWrite(new OutboundFrame(type, payload)))
        {
            Interlocked.Add(ref _queuedBytes, -payload.Length);
            return Volatile.Read(ref _closeRequested) != 0 ? EnqueueResult.Closed : EnqueueResult.Overflow;
        }

        return EnqueueResult.Queued;
    }

    /// <summary>Asks the connection to close; the first caller's reason is kept. Returns false if already closing.</summary>
    public bool RequestClose(string reason)
    {
        if (Interlocked.Exchange(ref _closeRequested, 1) != 0)
        {
            return false;
        }

        Volatile.Write(ref _closeReason, reason);
        _queue.Writer.TryComplete();
        try
        {
            _closing.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // A concurrent DisposeAsync (whose own RequestClose lost the race to this one) already closed and disposed it.
        }

        return true;
    }

    public void RecordReceived(long frameBytes)
    {
        Interlocked.Increment(ref _messagesReceived);
        Interlocked.Add(ref _bytesReceived, frameBytes);
        Interlocked.Exchange(ref _lastReceived, _time.GetTimestamp());
    }

    public void RecordRateLimited() => Interlocked.Increment(ref _rateLimited);

    /// <summary>
    /// Writes queued frames until the connection closes. Small frames are gathered into one buffer and written
    /// together (fewer TLS records); a frame larger than the buffer goes out directly. Flushes when the queue is empty.
    /// </summary>
    public async Task RunWriterAsync()
    {
        var buffer = new byte[WriteBufferBytes];
        var used = 0;
        try
        {
            var reader = _queue.Reader;
            while (await reader.WaitToReadAsync(Closing).ConfigureAwait(false))
            {
                while (reader.TryRead(out var frame))
                {
                    Interlocked.Add(ref _queuedBytes, -frame.Payload.Length);
                    var frameBytes = FrameCodec.HeaderBytes + frame.Payload.Length;
                    if (used + frameBytes > buffer.Length && used > 0)
                    {
                        await _stream.WriteAsync(buffer.AsMemory(0, used), Closing).ConfigureAwait(false);
                        used = 0;
                    }

                    FrameCodec.WriteHeader(buffer.AsSpan(used), frame.Type, frame.Payload.Length);
                    used += FrameCodec.HeaderBytes;
                    if (used + frame.Payload.Length <= buffer.Length)
                    {
                        frame.Payload.Span.CopyTo(buffer.AsSpan(used));
                        used += frame.Payload.Length;
                    }
                    else
                    {
                        await _stream.WriteAsync(buffer.AsMemory(0, used), Closing).ConfigureAwait(false);
                        used = 0;
                        await _stream.WriteAsync(frame.Payload, Closing).ConfigureAwait(false);
                    }

                    Interlocked.Increment(ref _messagesSent);
                    Interlocked.Add(ref _bytesSent, frameBytes);
                }

                if (used > 0)
                {
                    await _stream.WriteAsync(buffer.AsMemory(0, used), Closing).ConfigureAwait(false);
                    used = 0;
                }

                await _stream.FlushAsync(Closing).ConfigureAwait(false);
                Interlocked.Exchange(ref _lastSent, _time.GetTimestamp());
            }
        }
        catch (OperationCanceledException) when (Closing.IsCancellationRequested)
        {
            // Closing: whatever is still queued is dropped with the connection.
        }
        catch (Exception exception)
        {
            // Whatever failed, the connection is unusable; the reason is logged when it is torn down.
            RequestClose($"send failed: {exception.Message}");
        }
    }

    public PeerStatus ToStatus(double penaltyScore) => new(
        KeyId,
        Direction,
        RemoteEndPoint,
        AdvertisedAddress,
        ConnectedAt,
        Interlocked.Read(ref _messagesReceived),
        Interlocked.Read(ref _bytesReceived),
        Interlocked.Read(ref _messagesSent),
        Interlocked.Read(ref _bytesSent),
        _queue.Reader.Count,
        Interlocked.Read(ref _queuedBytes),
        Interlocked.Read(ref _rateLimited),
        penaltyScore);

    /// <summary>Disposes the stream (and the socket under it) and completes <see cref="Closed"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        RequestClose("disposed");
        try
        {
            await _stream.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The socket is gone either way.
        }

        _closing.Dispose();
        _closed.TrySetResult();
    }

    private readonly record struct OutboundFrame(byte Type, ReadOnlyMemory<byte> Payload);
}

/// <summary>What became of a frame handed to a connection.</summary>
internal enum EnqueueResult
{
    Queued = 1,
    Closed = 2,
    Overflow = 3,
}
