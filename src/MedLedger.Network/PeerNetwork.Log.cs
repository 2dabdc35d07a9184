using System.Net;
using MedLedger.Core;
using Microsoft.Extensions.Logging;

namespace MedLedger.Network;

/// <summary>Log messages. Every refusal and disconnection is logged with its reason (docs/network.md lists them).</summary>
public sealed partial class PeerNetwork
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Peer network listening on {Endpoint} as {KeyId}")]
    private partial void LogListening(IPEndPoint endpoint, Hash keyId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Connected to peer {KeyId} ({Direction}, {Remote})")]
    private partial void LogConnected(Hash keyId, PeerDirection direction, string remote);

    [LoggerMessage(Level = LogLevel.Information, Message = "Disconnected from peer {KeyId}: {Reason}")]
    private partial void LogDisconnected(Hash keyId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused connection with {Remote}: {Reason}")]
    private partial void LogRefused(string remote, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Did not keep the connection with {Remote} (peer {KeyId}): {Reason}")]
    private partial void LogNotRegistered(string remote, Hash keyId, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "A newer connection to peer {KeyId} replaces the older one")]
    private partial void LogReplaced(Hash keyId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Protocol violation by peer {KeyId}: {Reason}; penalty {Points}")]
    private partial void LogViolation(Hash keyId, string reason, double points);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Peer {KeyId} sent an invalid {Type} message; penalty {Points}")]
    private partial void LogInvalidMessage(Hash keyId, string type, double points);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Banned peer {KeyId} until {Until:O}: {Reason}")]
    private partial void LogBanned(Hash keyId, DateTimeOffset until, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Send queue of peer {KeyId} overflowed; disconnecting it")]
    private partial void LogSendQueueOverflow(Hash keyId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Dialling {Address} failed: {Reason}")]
    private partial void LogDialFailed(string address, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Redialling {Address} in about {Delay}")]
    private partial void LogRedialling(string address, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Information, Message = "Seed {Address} is this node itself; not dialling it again")]
    private partial void LogSeedIsSelf(string address);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Accepting a connection failed: {Reason}")]
    private partial void LogAcceptFailed(string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "The message handler failed on {What} from peer {KeyId}")]
    private partial void LogHandlerFailed(Exception exception, Hash keyId, string what);

    [LoggerMessage(Level = LogLevel.Error, Message = "The peer authorizer failed; the peer is treated as not authorised")]
    private partial void LogAuthorizerFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unexpected failure in a peer network task")]
    private partial void LogUnexpected(Exception exception);
}
