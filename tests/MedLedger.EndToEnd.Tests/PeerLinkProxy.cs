using System.Net;
using System.Net.Sockets;

namespace MedLedger.EndToEnd.Tests;

/// <summary>
/// A TCP relay in the test process standing for the network link from one node to another: the dialling node's
/// node.json names <see cref="Port"/> instead of the other node's peer port, and the relay copies bytes both ways
/// (the TLS session is end to end; the relay sees only ciphertext). <see cref="Cut"/> drops every open connection
/// and refuses new ones until <see cref="Heal"/>: a network partition between the two nodes, in this direction.
/// </summary>
internal sealed class PeerLinkProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private readonly List<TcpClient> _open = [];
    private readonly Task _accepting;
    private bool _cut;

    public PeerLinkProxy(int targetPort)
    {
        _targetPort = targetPort;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    /// <summary>The port the dialling node connects to.</summary>
    public int Port { get; }

    /// <summary>Closes every relayed connection and refuses new ones.</summary>
    public void Cut()
    {
        List<TcpClient> open;
        lock (_lock)
        {
            _cut = true;
            open = [.. _open];
            _open.Clear();
        }

        foreach (var client in open)
        {
            try
            {
                // A reset, not a polite close: the far side sees the link die as on a real network failure.
                client.Client?.LingerState = new LingerOption(true, 0);
            }
            catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
            {
                // Already closed.
            }

            client.Dispose();
        }
    }

    /// <summary>Accepts and relays connections again.</summary>
    public void Heal()
    {
        lock (_lock)
        {
            _cut = false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Cut();
        try
        {
            await _accepting;
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }

        _listener.Dispose();
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient inbound;
            try
            {
                inbound = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = RelayAsync(inbound);
        }
    }

    private async Task RelayAsync(TcpClient inbound)
    {
        var outbound = new TcpClient();
        lock (_lock)
        {
            if (_cut)
            {
                inbound.Dispose();
                outbound.Dispose();
                return;
            }

            _open.Add(inbound);
            _open.Add(outbound);
        }

        try
        {
            await outbound.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token);
            var a = inbound.GetStream();
            var b = outbound.GetStream();
            await Task.WhenAny(a.CopyToAsync(b, _stop.Token), b.CopyToAsync(a, _stop.Token));
        }
        catch (Exception exception) when (exception is IOException or SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            // The target is down, or the link was cut: the node sees a dropped connection, as on a real network.
        }
        finally
        {
            lock (_lock)
            {
                _open.Remove(inbound);
                _open.Remove(outbound);
            }

            inbound.Dispose();
            outbound.Dispose();
        }
    }
}
