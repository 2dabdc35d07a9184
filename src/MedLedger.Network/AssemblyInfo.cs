namespace MedLedger.Network;

/// <summary>The peer network (ARCHITECTURE §9): TLS 1.3 transport bound to on-chain keys, framing, gossip, block sync.</summary>
internal static class AssemblyInfo
{
}
