using MedLedger.Core;
using MedLedger.Ledger;
using Microsoft.Data.Sqlite;

namespace MedLedger.Storage;

/// <summary>Custodial accounts (SPEC F4) and the master patient index (SPEC F5).</summary>
public sealed partial class SqliteRecordStore
{
    /// <inheritdoc />
    /// <remarks>
    /// Usernames compare case-insensitively under Unicode simple case mapping (<see cref="string.ToUpperInvariant"/>),
    /// not only in ASCII as SQLite's NOCASE would; the name is kept as given. A username must be 1 to
    /// <see cref="Limits.MaxNameBytes"/> UTF-8 bytes and not blank, the organisation at most
    /// <see cref="Limits.MaxOrganisationIdBytes"/>, the vault non-empty (<see cref="ArgumentException"/>). A user id
    /// that already has an account is refused like a taken username.
    /// </remarks>
    public void PutCustodialAccount(CustodialAccount account)
    {
        ArgumentNullException.ThrowIfNull(account);
        var key = UsernameKey(account.Username, nameof(account));
        ArgumentNullException.ThrowIfNull(account.Organisation, nameof(account));
        if (Utf8Length(account.Organisation) > Limits.MaxOrganisationIdBytes)
        {
            throw new ArgumentException($"An organisation id is at most {Limits.MaxOrganisationIdBytes} bytes.", nameof(account));
        }

        if (account.Vault is not { Length: > 0 })
        {
            throw new ArgumentException("A custodial account needs a vault.", nameof(account));
        }

        Write(() =>
        {
            using var taken = _writer.CreateCommand();
            taken.CommandText = """
                SELECT EXISTS (SELECT 1 FROM custodial_accounts WHERE username_key = $key),
                       EXISTS (SELECT 1 FROM custodial_accounts WHERE user_id = $user)
                """;
            taken.Parameters.AddWithValue("$key", key);
            taken.Parameters.AddWithValue("$user", account.UserId.ToArray());
            using (var reader = taken.ExecuteReader())
            {
                Invariant.Check(reader.Read(), "a SELECT without FROM returns one row");
                if (reader.GetInt64(0) != 0)
                {
                    throw new InvalidOperationException($"The username '{account.Username}' is taken.");
                }

                if (reader.GetInt64(1) != 0)
                {
                    throw new InvalidOperationException($"User {account.UserId.ToShortString()} already has a custodial account.");
                }
            }

            using var insert = _writer.CreateCommand();
            insert.CommandText = """
                INSERT INTO custodial_accounts (username_key, username, user_id, role, organisation, vault, created)
                VALUES ($key, $username, $user, $role, $organisation, $vault, $created)
                """;
            insert.Parameters.AddWithValue("$key", key);
            insert.Parameters.AddWithValue("$username", account.Username);
            insert.Parameters.AddWithValue("$user", account.UserId.ToArray());
            insert.Parameters.AddWithValue("$role", (long)account.Role);
            insert.Parameters.AddWithValue("$organisation", account.Organisation);
            insert.Parameters.AddWithValue("$vault", account.Vault);
            insert.Parameters.AddWithValue("$created", account.CreatedUnixMilliseconds);
            insert.ExecuteNonQuery();
        });
    }

    /// <inheritdoc />
    /// <remarks>An unknown username throws <see cref="InvalidOperationException"/>. The old vault is overwritten
    /// (<c>secure_delete</c>) and the WAL checkpointed as after a <see cref="Shred"/>: after a passphrase change the
    /// vault sealed under the old passphrase is gone from the files.</remarks>
    public void UpdateVault(string username, byte[] vault)
    {
        var key = UsernameKey(username, nameof(username));
        if (vault is not { Length: > 0 })
        {
            throw new ArgumentException("A custodial account needs a vault.", nameof(vault));
        }

        Write(() =>
        {
            using var command = _writer.CreateCommand();
            command.CommandText = "UPDATE custodial_accounts SET vault = $vault WHERE username_key = $key";
            command.Parameters.AddWithValue("$vault", vault);
            command.Parameters.AddWithValue("$key", key);
            if (command.ExecuteNonQuery() == 0)
            {
                throw new InvalidOperationException($"There is no custodial account '{username}'.");
            }
        }, replacesSecrets: true);
    }

    /// <inheritdoc />
    public CustodialAccount? GetCustodialAccount(string username)
    {
        ArgumentNullException.ThrowIfNull(username);
        if (!TryUsernameKey(username, out var key))
        {
            return null;
        }

        return ReadAccount("username_key = $key", ("$key", key));
    }

    /// <inheritdoc />
    public CustodialAccount? GetCustodialAccountByUser(Hash userId) => ReadAccount("user_id = $user", ("$user", userId.ToArray()));

    /// <inheritdoc />
    /// <remarks>
    /// The entry's key is its username, compared as in <see cref="PutCustodialAccount"/>. Pseudonyms must be
    /// distinct and not listed by another username's entry (<see cref="InvalidOperationException"/>); a replaced
    /// entry's pseudonyms are replaced with it, and its old contents are overwritten as in <see cref="UpdateVault"/>.
    /// Empty tokens mean "none" and are never matched by <see cref="FindEmpiEntries"/>.
    /// </remarks>
    public void PutEmpiEntry(EmpiEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var key = UsernameKey(entry.Username, nameof(entry));
        if (entry.NationalIdToken is null || entry.NameBirthDateToken is null || entry.SealedDemographics is null || entry.Pseudonyms is null)
        {
            throw new ArgumentException("An EMPI entry needs its tokens, sealed demographics and pseudonyms (the arrays may be empty).", nameof(entry));
        }

        if (entry.Pseudonyms.Distinct().Count() != entry.Pseudonyms.Count)
        {
            throw new ArgumentException($"The EMPI entry of '{entry.Username}' lists a pseudonym twice.", nameof(entry));
        }

        Write(() =>
        {
            using var owner = _writer.CreateCommand();
            owner.CommandText = "SELECT username_key FROM empi_pseudonyms WHERE pseudonym = $pseudonym";
            var pseudonymParameter = owner.Parameters.Add("$pseudonym", SqliteType.Blob);
            foreach (var pseudonym in entry.Pseudonyms)
            {
                pseudonymParameter.Value = pseudonym.ToArray();
                if (owner.ExecuteScalar() is string other && other != key)
                {
                    throw new InvalidOperationException($"Pseudonym {pseudonym.ToShortString()} already belongs to another EMPI entry.");
                }
            }

            using var command = _writer.CreateCommand();
            command.Parameters.AddWithValue("$key", key);
            command.CommandText = "DELETE FROM empi_pseudonyms WHERE username_key = $key";
            command.ExecuteNonQuery();

            command.CommandText = """
                INSERT INTO empi_entries (username_key, username, national_id_token, name_birth_date_token, sealed_demographics)
                VALUES ($key, $username, $national, $nameBirthDate, $demographics)
                ON CONFLICT (username_key) DO UPDATE SET
                    username = excluded.username,
                    national_id_token = excluded.national_id_token,
                    name_birth_date_token = excluded.name_birth_date_token,
                    sealed_demographics = excluded.sealed_demographics
                """;
            command.Parameters.AddWithValue("$username", entry.Username);
            command.Parameters.AddWithValue("$national", entry.NationalIdToken);
            command.Parameters.AddWithValue("$nameBirthDate", entry.NameBirthDateToken);
            command.Parameters.AddWithValue("$demographics", entry.SealedDemographics);
            command.ExecuteNonQuery();

            using var insert = _writer.CreateCommand();
            insert.CommandText = "INSERT INTO empi_pseudonyms (pseudonym, username_key, position) VALUES ($pseudonym, $key, $position)";
            insert.Parameters.AddWithValue("$key", key);
            var pseudonymValue = insert.Parameters.Add("$pseudonym", SqliteType.Blob);
            var position = insert.Parameters.Add("$position", SqliteType.Integer);
            for (var i = 0; i < entry.Pseudonyms.Count; i++)
            {
                pseudonymValue.Value = entry.Pseudonyms[i].ToArray();
                position.Value = i;
                insert.ExecuteNonQuery();
            }
        }, replacesSecrets: true);
    }

    /// <inheritdoc />
    /// <remarks>Entries matching either token (null or empty tokens match nothing), each once, by username.</remarks>
    public IReadOnlyList<EmpiEntry> FindEmpiEntries(byte[]? nationalIdToken, byte[]? nameBirthDateToken)
    {
        var conditions = new List<string>(2);
        var parameters = new List<(string, object)>(2);
        if (nationalIdToken is { Length: > 0 })
        {
            conditions.Add("national_id_token = $national");
            parameters.Add(("$national", nationalIdToken));
        }

        if (nameBirthDateToken is { Length: > 0 })
        {
            conditions.Add("name_birth_date_token = $nameBirthDate");
            parameters.Add(("$nameBirthDate", nameBirthDateToken));
        }

        if (conditions.Count == 0)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return [];
        }

        return ReadEmpiEntries(string.Join(" OR ", conditions), [.. parameters]);
    }

    /// <inheritdoc />
    public EmpiEntry? FindEmpiEntryByPseudonym(Hash pseudonym)
    {
        var entries = ReadEmpiEntries(
            "username_key = (SELECT username_key FROM empi_pseudonyms WHERE pseudonym = $pseudonym)",
            ("$pseudonym", pseudonym.ToArray()));
        return entries.Count == 0 ? null : entries[0];
    }

    /// <summary>The key a username is stored under: case-folded, so that lookups ignore case.</summary>
    private static string UsernameKey(string username, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(username, parameterName);
        return TryUsernameKey(username, out var key)
            ? key
            : throw new ArgumentException($"A username is 1 to {Limits.MaxNameBytes} UTF-8 bytes and not blank.", parameterName);
    }

    private static bool TryUsernameKey(string username, out string key)
    {
        key = username.ToUpperInvariant();
        return !string.IsNullOrWhiteSpace(username) && Utf8Length(username) <= Limits.MaxNameBytes;
    }

    private CustodialAccount? ReadAccount(string condition, (string Name, object Value) parameter) => Read(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT username, user_id, role, organisation, vault, created FROM custodial_accounts WHERE {condition}";
        command.Parameters.AddWithValue(parameter.Name, parameter.Value);
        using var reader = command.ExecuteReader();
        return reader.Read()
            ? new CustodialAccount(
                reader.GetString(0),
                ReadHash(reader, 1),
                (AccountRole)reader.GetInt64(2),
                reader.GetString(3),
                reader.GetFieldValue<byte[]>(4),
                reader.GetInt64(5))
            : null;
    });

    /// <summary>The entries matching <paramref name="condition"/> with their pseudonyms, from one snapshot.</summary>
    private List<EmpiEntry> ReadEmpiEntries(string condition, params (string Name, object Value)[] parameters) => Read(connection =>
    {
        using var transaction = connection.BeginTransaction(deferred: true);
        var rows = new List<(string Key, string Username, byte[] National, byte[] NameBirthDate, byte[] Demographics)>();
        using (var command = connection.CreateCommand())
        {
            command.CommandText = $"""
                SELECT username_key, username, national_id_token, name_birth_date_token, sealed_demographics
                FROM empi_entries WHERE {condition} ORDER BY username_key
                """;
            foreach (var (name, value) in parameters)
            {
                command.Parameters.AddWithValue(name, value);
            }

            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                rows.Add((reader.GetString(0), reader.GetString(1), reader.GetFieldValue<byte[]>(2), reader.GetFieldValue<byte[]>(3), reader.GetFieldValue<byte[]>(4)));
            }
        }

        var entries = new List<EmpiEntry>(rows.Count);
        using var pseudonyms = connection.CreateCommand();
        pseudonyms.CommandText = "SELECT pseudonym FROM empi_pseudonyms WHERE username_key = $key ORDER BY position";
        var keyParameter = pseudonyms.Parameters.Add("$key", SqliteType.Text);
        foreach (var row in rows)
        {
            keyParameter.Value = row.Key;
            var list = new List<Hash>();
            using (var reader = pseudonyms.ExecuteReader())
            {
                while (reader.Read())
                {
                    list.Add(ReadHash(reader, 0));
                }
            }

            entries.Add(new EmpiEntry(row.Username, row.National, row.NameBirthDate, row.Demographics, list));
        }

        return entries;
    });
}
