using System.Security.Cryptography;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;
using MedLedger.Node.Medical;
using MedLedger.Storage;
using MedLedger.Web.Services;
using MedLedger.Web.Sessions;

namespace MedLedger.Node.Web;

/// <summary>
/// A signed-in user's unlocked custodial keys: the session's opaque credential. The web UI holds it only as an
/// <see cref="IDisposable"/>; disposing it (sign-out, idle timeout) disposes the keys.
/// </summary>
internal sealed class SessionKeys(CustodialAccount account, IReadOnlyList<ISigningKey> keys) : IDisposable
{
    private int _disposed;

    public CustodialAccount Account { get; } = account;

    public IReadOnlyList<ISigningKey> Keys { get; } = keys;

    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            foreach (var key in Keys)
            {
                key.Dispose();
            }
        }
    }
}

/// <summary>
/// Turns a web session into the <see cref="Caller"/> the node's application services take, the way
/// <see cref="RequestAuthenticator"/> does for a signed API request: the key must be a committed, active account whose
/// organisation is active. Each web action gets a fresh random request id for the access log.
/// </summary>
public sealed class WebCallers(LedgerStateMachine ledger)
{
    /// <summary>The caller acting with the session's first key (its home identity), or null with the reason.</summary>
    public (Caller? Caller, ISigningKey? Key, string? Problem) Resolve(WebSession session, Hash? preferredUser = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (session.IsEnded || session.Credential is not SessionKeys keys || keys.IsDisposed || keys.Keys.Count == 0)
        {
            return (null, null, "Your session has ended; sign in again.");
        }

        ISigningKey? chosen = null;
        foreach (var key in keys.Keys)
        {
            var keyId = ledger.Suite.Hash(key.PublicKey.Span);
            var account = ledger.GetAccount(keyId);
            if (chosen is null || (preferredUser is { } user && account is not null && account.EffectiveUserId(keyId) == user))
            {
                chosen = key;
            }
        }

        var chosenId = ledger.Suite.Hash(chosen!.PublicKey.Span);
        var chosenAccount = ledger.GetAccount(chosenId);
        if (chosenAccount is null)
        {
            return (null, null, "Your key is not registered on the chain yet.");
        }

        if (!chosenAccount.IsActive || (chosenAccount.Organisation.Length != 0 && ledger.GetOrganisation(chosenAccount.Organisation)?.Status != OrganisationStatus.Active))
        {
            return (null, null, "Your key, or your organisation, was revoked.");
        }

        return (new Caller(chosenId, chosenAccount, chosenAccount.EffectiveUserId(chosenId), new Hash(RandomNumberGenerator.GetBytes(Hash.Size)), []), chosen, null);
    }

    /// <summary>Every (caller, key) of the session that is an active account: a patient's pseudonyms.</summary>
    public IReadOnlyList<(Caller Caller, ISigningKey Key)> All(WebSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        var result = new List<(Caller, ISigningKey)>();
        if (session.IsEnded || session.Credential is not SessionKeys keys || keys.IsDisposed)
        {
            return result;
        }

        foreach (var key in keys.Keys)
        {
            var keyId = ledger.Suite.Hash(key.PublicKey.Span);
            if (ledger.GetAccount(keyId) is { IsActive: true } account)
            {
                result.Add((new Caller(keyId, account, account.EffectiveUserId(keyId), new Hash(RandomNumberGenerator.GetBytes(Hash.Size)), []), key));
            }
        }

        return result;
    }

    /// <summary>The web role of an on-chain role.</summary>
    public static WebRole RoleOf(AccountRole role) => role switch
    {
        AccountRole.Patient => WebRole.Patient,
        AccountRole.Doctor => WebRole.Doctor,
        AccountRole.OrgAdmin => WebRole.OrgAdmin,
        AccountRole.Auditor => WebRole.Auditor,
        _ => WebRole.Other,
    };
}
