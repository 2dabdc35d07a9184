using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MedLedger.Client;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;
using MedLedger.Storage;
using Microsoft.AspNetCore.Http;

namespace MedLedger.Node.Medical;

/// <summary>
/// Custodial keys and the master patient index at a home organisation (SPEC F4, F5). A patient enrolled here gets a
/// pseudonym key sealed in a vault under their passphrase (the node never keeps the passphrase, so it cannot use the
/// key alone) and an EMPI entry that links their identity to their pseudonyms. The EMPI holds no searchable
/// plaintext: identifiers are matched through keyed blind tokens and the demographics are sealed with a node key.
/// A doctor finds a patient only when the patient granted them something in force; every search is logged.
/// </summary>
public sealed class CustodyService : IDisposable
{
    private readonly LedgerStateMachine _ledger;
    private readonly IRecordStore _store;
    private readonly HostedOrganisations _organisations;
    private readonly EmpiKeys _empi;
    private readonly RecordService _records;
    private readonly TimeProvider _clock;
    private readonly PassphraseThrottle _throttle;
    private readonly SemaphoreSlim _vaultChanges = new(1, 1);
    private readonly Lazy<byte[]> _decoyVault;

    public CustodyService(LedgerStateMachine ledger, IRecordStore store, HostedOrganisations organisations, EmpiKeys empi, RecordService records, TimeProvider clock, PassphraseThrottle throttle)
    {
        _throttle = throttle;

        // Opened with the offered passphrase when the username is unknown, so that an unknown username costs the same
        // key derivation as a wrong passphrase and the answer's timing does not tell which usernames exist.
        _decoyVault = new Lazy<byte[]>(() =>
        {
            using var key = ledger.Suite.GenerateSigningKey();
            return KeyVault.Seal(ledger.Suite, [key], Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        });
        _ledger = ledger;
        _store = store;
        _organisations = organisations;
        _empi = empi;
        _records = records;
        _clock = clock;
    }

    public void Dispose() => _vaultChanges.Dispose();

    /// <summary>Enrols a patient of the caller's organisation: vault, EMPI entry; the caller then registers the key on chain.</summary>
    public async Task<ServiceResult<PatientEnrolmentResponse>> EnrolPatientAsync(Caller caller, PatientEnrolmentRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(request);
        if (caller.Account.Role is not (AccountRole.Doctor or AccountRole.OrgAdmin) || !_organisations.Holds(caller.Account.Organisation))
        {
            return ServiceResult.Fail<PatientEnrolmentResponse>(StatusCodes.Status403Forbidden, "RoleNotPermitted", "Patients are enrolled by doctors and org admins of an organisation this node holds.");
        }

        if (Validate(request) is { } problem)
        {
            return ServiceResult.Fail<PatientEnrolmentResponse>(StatusCodes.Status400BadRequest, "Malformed", problem);
        }

        if (_store.GetCustodialAccount(request.Username) is not null)
        {
            return ServiceResult.Fail<PatientEnrolmentResponse>(StatusCodes.Status409Conflict, "AlreadyExists", "The username is taken.");
        }

        using var key = _ledger.Suite.GenerateSigningKey();
        var keyId = _ledger.Suite.Hash(key.PublicKey.Span);
        var vault = await Task.Run(() => KeyVault.Seal(_ledger.Suite, [key], request.Passphrase), cancellationToken).ConfigureAwait(false);
        try
        {
            _store.PutCustodialAccount(new CustodialAccount(request.Username, keyId, AccountRole.Patient, caller.Account.Organisation, vault, _clock.GetUtcNow().ToUnixTimeMilliseconds()));
        }
        catch (InvalidOperationException)
        {
            return ServiceResult.Fail<PatientEnrolmentResponse>(StatusCodes.Status409Conflict, "AlreadyExists", "The username is taken.");
        }

        var demographics = JsonSerializer.SerializeToUtf8Bytes(new Demographics(request.GivenName, request.FamilyName, request.NationalId, request.BirthDate, request.Sex, request.PostalCode));
        _store.PutEmpiEntry(new EmpiEntry(request.Username, _empi.NationalIdToken(request.NationalId), _empi.NameBirthDateToken(request.GivenName, request.FamilyName, request.BirthDate), _empi.Seal(demographics), [keyId]));
        CryptographicOperations.ZeroMemory(demographics);
        return ServiceResult.Ok(new PatientEnrolmentResponse(request.Username, Convert.ToHexStringLower(key.PublicKey.Span), keyId.ToString()));
    }

    /// <summary>An org admin creates a custodial staff user of its organisation; the admin then registers the key on chain.</summary>
    public async Task<ServiceResult<StaffEnrolmentResponse>> EnrolStaffAsync(Caller caller, StaffEnrolmentRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(request);
        if (caller.Account.Role != AccountRole.OrgAdmin || !_organisations.Holds(caller.Account.Organisation))
        {
            return ServiceResult.Fail<StaffEnrolmentResponse>(StatusCodes.Status403Forbidden, "RoleNotPermitted", "Staff are enrolled by org admins of an organisation this node holds.");
        }

        if (!Json.TryParse<AccountRole>(request.Role, out var role) || role is AccountRole.Patient or AccountRole.Node or AccountRole.Administrator or AccountRole.Member)
        {
            return ServiceResult.Fail<StaffEnrolmentResponse>(StatusCodes.Status400BadRequest, "Malformed", "The role is doctor, orgAdmin, auditor, researcher or insurerAgent.");
        }

        // The ledger would refuse the registration later; refusing here leaves no custodial account nobody can use.
        if (_ledger.GetOrganisation(caller.Account.Organisation) is { } organisation && !LedgerStateMachine.RoleFitsOrganisation(role, organisation.Kind))
        {
            return ServiceResult.Fail<StaffEnrolmentResponse>(StatusCodes.Status400BadRequest, "Malformed", $"A {Json.Name(organisation.Kind)} has no {Json.Name(role)} users.");
        }

        if ((UsernameProblem(request.Username) ?? PassphraseProblem(request.Passphrase)) is { } problem)
        {
            return ServiceResult.Fail<StaffEnrolmentResponse>(StatusCodes.Status400BadRequest, "Malformed", problem);
        }

        if (string.IsNullOrWhiteSpace(request.Name) || Encoding.UTF8.GetByteCount(request.Name) > Limits.MaxNameBytes)
        {
            return ServiceResult.Fail<StaffEnrolmentResponse>(StatusCodes.Status400BadRequest, "Malformed", $"The name has 1..{Limits.MaxNameBytes} bytes.");
        }

        using var key = _ledger.Suite.GenerateSigningKey();
        try
        {
            await AddCustodialUserAsync(request.Username, request.Passphrase, [key], role, caller.Account.Organisation, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            return ServiceResult.Fail<StaffEnrolmentResponse>(StatusCodes.Status409Conflict, "AlreadyExists", "The username is taken.");
        }

        return ServiceResult.Ok(new StaffEnrolmentResponse(request.Username, Convert.ToHexStringLower(key.PublicKey.Span), _ledger.Suite.Hash(key.PublicKey.Span).ToString()));
    }

    /// <summary>Adds a custodial user (staff or patient) whose keys already exist: the demo seeder and the web UI use it.</summary>
    public Task AddCustodialUserAsync(string username, string passphrase, IReadOnlyList<ISigningKey> keys, AccountRole role, string organisation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        return Task.Run(
            () =>
            {
                var vault = KeyVault.Seal(_ledger.Suite, keys, passphrase);
                _store.PutCustodialAccount(new CustodialAccount(username, _ledger.Suite.Hash(keys[0].PublicKey.Span), role, organisation, vault, _clock.GetUtcNow().ToUnixTimeMilliseconds()));
            },
            cancellationToken);
    }

    /// <summary>Adds an EMPI entry for a patient enrolled by other means (the demo seeder).</summary>
    public void AddEmpiEntry(string username, string givenName, string familyName, string nationalId, string birthDate, string sex, string postalCode, IReadOnlyList<Hash> pseudonyms)
    {
        var demographics = JsonSerializer.SerializeToUtf8Bytes(new Demographics(givenName, familyName, nationalId, birthDate, sex, postalCode));
        _store.PutEmpiEntry(new EmpiEntry(username, _empi.NationalIdToken(nationalId), _empi.NameBirthDateToken(givenName, familyName, birthDate), _empi.Seal(demographics), pseudonyms));
        CryptographicOperations.ZeroMemory(demographics);
    }

    /// <summary>
    /// Opens a custodial user's keys with their passphrase (sign-in and the other passphrase checks). Failures count
    /// towards <see cref="PassphraseThrottle"/>'s limits under <paramref name="source"/> (see
    /// <see cref="PassphraseThrottle.SourceOf"/>); a throttled attempt is refused with 429 before any key derivation.
    /// </summary>
    public async Task<ServiceResult<UnlockedKeys>> UnlockAsync(string username, string passphrase, string source, CancellationToken cancellationToken)
    {
        username ??= string.Empty;
        if (_throttle.Refusal(username, source) is { } refusal)
        {
            return ServiceResult.Fail<UnlockedKeys>(StatusCodes.Status429TooManyRequests, "LockedOut", refusal);
        }

        var account = username.Length == 0 ? null : _store.GetCustodialAccount(username);
        if (string.IsNullOrEmpty(passphrase))
        {
            // Not a guess: refused without counting.
            return ServiceResult.Fail<UnlockedKeys>(StatusCodes.Status401Unauthorized, "InvalidCredentials", "Unknown username or wrong passphrase.");
        }

        if (account is null)
        {
            await Task.Run(() => OpenDecoy(passphrase), cancellationToken).ConfigureAwait(false);
            _throttle.Failed(username, source);
            return ServiceResult.Fail<UnlockedKeys>(StatusCodes.Status401Unauthorized, "InvalidCredentials", "Unknown username or wrong passphrase.");
        }

        try
        {
            var keys = await Task.Run(() => KeyVault.Open(_ledger.Suite, account.Vault, passphrase), cancellationToken).ConfigureAwait(false);
            _throttle.Succeeded(account.Username, source);
            return ServiceResult.Ok(new UnlockedKeys(account, keys));
        }
        catch (CryptoException)
        {
            _throttle.Failed(account.Username, source);
            return ServiceResult.Fail<UnlockedKeys>(StatusCodes.Status401Unauthorized, "InvalidCredentials", "Unknown username or wrong passphrase.");
        }
    }

    private void OpenDecoy(string passphrase)
    {
        try
        {
            foreach (var key in KeyVault.Open(_ledger.Suite, _decoyVault.Value, passphrase))
            {
                key.Dispose();
            }
        }
        catch (CryptoException)
        {
            // The expected outcome: nobody knows the decoy's passphrase.
        }
    }

    /// <summary>Adds a pseudonym for a new institution relationship to a custodial patient's vault and EMPI entry.</summary>
    public async Task<ServiceResult<PseudonymResponse>> AddPseudonymAsync(PseudonymRequest request, string source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var organisation = _ledger.GetOrganisation(request.Organisation ?? string.Empty);
        if (organisation is null || organisation.Status != OrganisationStatus.Active || organisation.Kind is not (OrganisationKind.Hospital or OrganisationKind.Clinic or OrganisationKind.ElderlyCare))
        {
            return ServiceResult.Fail<PseudonymResponse>(StatusCodes.Status400BadRequest, "Malformed", "The organisation is not an active hospital, clinic or care home.");
        }

        await _vaultChanges.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await AddPseudonymLockedAsync(request, organisation, source, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _vaultChanges.Release();
        }
    }

    private async Task<ServiceResult<PseudonymResponse>> AddPseudonymLockedAsync(PseudonymRequest request, Organisation organisation, string source, CancellationToken cancellationToken)
    {
        var unlocked = await UnlockAsync(request.Username, request.Passphrase, source, cancellationToken).ConfigureAwait(false);
        if (!unlocked.IsSuccess)
        {
            return ServiceResult.Fail<PseudonymResponse>(unlocked.Status, unlocked.Code, unlocked.Detail);
        }

        var (account, keys) = (unlocked.Value!.Account, unlocked.Value.Keys.ToList());
        try
        {
            var empi = _store.FindEmpiEntryByPseudonym(account.UserId);
            if (account.Role != AccountRole.Patient || empi is null)
            {
                return ServiceResult.Fail<PseudonymResponse>(StatusCodes.Status403Forbidden, "RoleNotPermitted", "Only custodial patients of this home node add pseudonyms.");
            }

            if (keys.Count >= KeyVault.MaxKeys)
            {
                return ServiceResult.Fail<PseudonymResponse>(StatusCodes.Status409Conflict, "TooManyPseudonyms", $"A vault holds at most {KeyVault.MaxKeys} keys.");
            }

            var fresh = _ledger.Suite.GenerateSigningKey();
            keys.Add(fresh);
            var vault = await Task.Run(() => KeyVault.Seal(_ledger.Suite, keys, request.Passphrase), cancellationToken).ConfigureAwait(false);
            var keyId = _ledger.Suite.Hash(fresh.PublicKey.Span);
            _store.UpdateVault(account.Username, vault);
            _store.PutEmpiEntry(empi with { Pseudonyms = [.. empi.Pseudonyms, keyId] });
            return ServiceResult.Ok(new PseudonymResponse(Convert.ToHexStringLower(fresh.PublicKey.Span), keyId.ToString(), organisation.Id));
        }
        finally
        {
            foreach (var key in keys)
            {
                key.Dispose();
            }
        }
    }

    /// <summary>
    /// Seals a custodial user's vault under a new passphrase (the keys stay the same, so nothing changes on chain). The
    /// current passphrase is checked and throttled like a sign-in. A patient enrolled by a doctor should do this first:
    /// the enrolment passphrase passed through the doctor's client.
    /// </summary>
    public async Task<ServiceResult<PassphraseChangeResponse>> ChangePassphraseAsync(PassphraseChangeRequest request, string source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (PassphraseProblem(request.NewPassphrase) is { } problem)
        {
            return ServiceResult.Fail<PassphraseChangeResponse>(StatusCodes.Status400BadRequest, "Malformed", "The new passphrase is not acceptable: " + problem);
        }

        if (string.Equals(request.NewPassphrase, request.Passphrase, StringComparison.Ordinal))
        {
            return ServiceResult.Fail<PassphraseChangeResponse>(StatusCodes.Status400BadRequest, "Malformed", "The new passphrase is the current one.");
        }

        // One vault change at a time: a pseudonym added while the passphrase changes must not be lost (both re-seal).
        await _vaultChanges.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var unlocked = await UnlockAsync(request.Username, request.Passphrase, source, cancellationToken).ConfigureAwait(false);
            if (!unlocked.IsSuccess)
            {
                return ServiceResult.Fail<PassphraseChangeResponse>(unlocked.Status, unlocked.Code, unlocked.Detail);
            }

            var keys = unlocked.Value!.Keys;
            try
            {
                var vault = await Task.Run(() => KeyVault.Seal(_ledger.Suite, keys, request.NewPassphrase), cancellationToken).ConfigureAwait(false);
                _store.UpdateVault(unlocked.Value.Account.Username, vault);
                return ServiceResult.Ok(new PassphraseChangeResponse(unlocked.Value.Account.Username, keys.Count));
            }
            finally
            {
                foreach (var key in keys)
                {
                    key.Dispose();
                }
            }
        }
        finally
        {
            _vaultChanges.Release();
        }
    }

    /// <summary>Releases the sealed vault to its owner, who proves the passphrase (SPEC F4: exportable keys).</summary>
    public async Task<ServiceResult<VaultExportResponse>> ExportAsync(VaultExportRequest request, string source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var unlocked = await UnlockAsync(request.Username, request.Passphrase, source, cancellationToken).ConfigureAwait(false);
        if (!unlocked.IsSuccess)
        {
            return ServiceResult.Fail<VaultExportResponse>(unlocked.Status, unlocked.Code, unlocked.Detail);
        }

        foreach (var key in unlocked.Value!.Keys)
        {
            key.Dispose();
        }

        return ServiceResult.Ok(new VaultExportResponse(Convert.ToBase64String(unlocked.Value.Account.Vault)));
    }

    /// <summary>Finds pseudonyms of a patient the caller may see: only those whose patient granted the caller something in force.</summary>
    public async Task<ServiceResult<EmpiSearchResponse>> SearchAsync(Caller caller, EmpiSearchRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(request);
        if (caller.Account.Role != AccountRole.Doctor)
        {
            await _records.LogAsync(caller, Hash.Zero, Hash.Zero, AccessAction.Search, AccessPurpose.Treatment, AccessDenialReason.RoleNotPermitted, Hash.Zero, cancellationToken).ConfigureAwait(false);
            return ServiceResult.Fail<EmpiSearchResponse>(StatusCodes.Status403Forbidden, "RoleNotPermitted", "Only doctors search the master patient index.");
        }

        byte[]? nationalToken = string.IsNullOrWhiteSpace(request.NationalId) ? null : _empi.NationalIdToken(request.NationalId);
        byte[]? nameToken = string.IsNullOrWhiteSpace(request.FamilyName) || string.IsNullOrWhiteSpace(request.GivenName) || string.IsNullOrWhiteSpace(request.BirthDate)
            ? null : _empi.NameBirthDateToken(request.GivenName, request.FamilyName, request.BirthDate);
        if (nationalToken is null && nameToken is null)
        {
            return ServiceResult.Fail<EmpiSearchResponse>(StatusCodes.Status400BadRequest, "Malformed", "Search by national id, or by given name, family name and birth date.");
        }

        var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        var matches = new List<EmpiMatch>();
        var denied = new List<Hash>();
        foreach (var entry in _store.FindEmpiEntries(nationalToken, nameToken))
        {
            foreach (var pseudonym in entry.Pseudonyms)
            {
                if (AccessPolicy.HasGrantInForce(_ledger.CommittedState, caller.KeyId, caller.Account, pseudonym, now))
                {
                    var organisation = _ledger.GetAccount(_ledger.GetCurrentKey(pseudonym))?.Organisation ?? string.Empty;
                    matches.Add(new EmpiMatch(pseudonym.ToString(), organisation));
                    await _records.LogAsync(caller, pseudonym, Hash.Zero, AccessAction.Search, AccessPurpose.Treatment, AccessDenialReason.None, Hash.Zero, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    denied.Add(pseudonym);
                }
            }
        }

        if (matches.Count == 0)
        {
            // The patient sees that someone looked for them without a grant; the caller learns nothing.
            foreach (var pseudonym in denied.DefaultIfEmpty(Hash.Zero))
            {
                await _records.LogAsync(caller, pseudonym, Hash.Zero, AccessAction.Search, AccessPurpose.Treatment, AccessDenialReason.NoGrant, Hash.Zero, cancellationToken).ConfigureAwait(false);
            }
        }

        return ServiceResult.Ok(new EmpiSearchResponse(matches));
    }

    private static string? UsernameProblem(string? username) =>
        string.IsNullOrEmpty(username) || username.Length is < 3 or > 64 || !username.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_')
            ? "The username is 3..64 letters, digits, '.', '-' or '_'." : null;

    private static string? PassphraseProblem(string? passphrase) =>
        passphrase is null || passphrase.Length is < 8 or > 1024 ? "The passphrase has 8..1024 characters." : null;

    private static string? Validate(PatientEnrolmentRequest request)
    {
        if ((UsernameProblem(request.Username) ?? PassphraseProblem(request.Passphrase)) is { } problem)
        {
            return problem;
        }

        if (new[] { request.GivenName, request.FamilyName, request.NationalId, request.PostalCode }.Any(f => string.IsNullOrWhiteSpace(f) || f.Length > 256))
        {
            return "Given name, family name, national id and postal code are required (at most 256 characters each).";
        }

        if (!DateOnly.TryParseExact(request.BirthDate, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
        {
            return "The birth date is yyyy-MM-dd.";
        }

        return request.Sex is "female" or "male" or "other" or "unknown" ? null : "The sex is female, male, other or unknown.";
    }

    private sealed record Demographics(string GivenName, string FamilyName, string NationalId, string BirthDate, string Sex, string PostalCode);
}

/// <summary>A custodial account with its keys opened; the caller disposes the keys.</summary>
public sealed record UnlockedKeys(CustodialAccount Account, IReadOnlyList<ISigningKey> Keys);

/// <summary>
/// The master patient index's keys, derived from <c>keys/empi.key</c> (sealed under the node passphrase): an HMAC key
/// for blind tokens of normalised identifiers and an AEAD key that seals the demographics.
/// </summary>
public sealed class EmpiKeys
{
    private static readonly byte[] TokenDomain = "MedLedger/empi-token/v1\0"u8.ToArray();
    private static readonly byte[] SealDomain = "MedLedger/empi-seal/v1\0"u8.ToArray();
    private readonly ICryptoSuite _suite;
    private readonly byte[] _tokenKey;
    private readonly byte[] _sealKey;

    public EmpiKeys(ICryptoSuite suite, ISigningKey key)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(key);
        _suite = suite;
        var scalar = key.ExportPrivateKey();
        _tokenKey = suite.Hash([.. TokenDomain, .. scalar]).ToArray();
        _sealKey = suite.Hash([.. SealDomain, .. scalar]).ToArray().AsSpan(0, suite.AeadKeyBytes).ToArray();
        CryptographicOperations.ZeroMemory(scalar);
    }

    /// <summary>Keys that live only in memory, for a node that holds no organisation's records.</summary>
    public static EmpiKeys Ephemeral(ICryptoSuite suite)
    {
        ArgumentNullException.ThrowIfNull(suite);
        using var key = suite.GenerateSigningKey();
        return new EmpiKeys(suite, key);
    }

    /// <summary>Opens (or creates on first use) the EMPI key of a data folder.</summary>
    public static EmpiKeys Open(NodeDataDirectory directory, ICryptoSuite suite, string? passphrase)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var resolved = directory.ResolvePassphrase(passphrase) ?? throw new NodeSetupException("The EMPI key is encrypted: pass --passphrase-file or set MEDLEDGER_PASSPHRASE.");
        try
        {
            if (!File.Exists(directory.EmpiKeyPath))
            {
                using var fresh = suite.GenerateSigningKey();
                KeyFile.Save(directory.EmpiKeyPath, suite, fresh, resolved);
            }

            using var key = KeyFile.Load(directory.EmpiKeyPath, suite, resolved);
            return new EmpiKeys(suite, key);
        }
        catch (CryptoException exception)
        {
            throw new NodeSetupException($"Cannot open the EMPI key: {exception.Message}", exception);
        }
    }

    public byte[] NationalIdToken(string nationalId) => Token("nid", Normalise(nationalId));

    public byte[] NameBirthDateToken(string givenName, string familyName, string birthDate) => Token("nbd", $"{Normalise(givenName)}|{Normalise(familyName)}|{birthDate.Trim()}");

    public byte[] Seal(byte[] plaintext)
    {
        var nonce = RandomNumberGenerator.GetBytes(_suite.AeadNonceBytes);
        return [.. nonce, .. _suite.AeadEncrypt(_sealKey, nonce, plaintext, SealDomain)];
    }

    private byte[] Token(string kind, string value) => HMACSHA256.HashData(_tokenKey, Encoding.UTF8.GetBytes($"{kind}:{value}"));

    private static string Normalise(string value) => string.Concat(value.Trim().ToUpperInvariant().Where(c => !char.IsWhiteSpace(c) && c != '-'));
}
