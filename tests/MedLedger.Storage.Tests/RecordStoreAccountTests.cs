using MedLedger.Core;
using MedLedger.Ledger;
using Xunit.Abstractions;

namespace MedLedger.Storage.Tests;

public sealed class RecordStoreAccountTests : IDisposable
{
    private const int Seed = 4242;
    private const long Created = 1_767_225_600_000;

    private readonly TempDirectory _directory = new();
    private readonly RecordStoreTestData _data = new(Seed);
    private readonly SqliteRecordStore _store;

    public RecordStoreAccountTests(ITestOutputHelper output)
    {
        output.WriteLine($"seed {Seed}");
        _store = SqliteRecordStore.Open(_directory.File("records.db"), _data.Suite);
    }

    public void Dispose()
    {
        _store.Dispose();
        _directory.Dispose();
    }

    [Fact]
    public void PutCustodialAccount_ThenGet_ByUsernameInAnyCase_AndByUserId()
    {
        // An account reads back with every field, by its username in any letter case (non-ASCII letters included,
        // which SQLite's NOCASE would not fold) and by its user id; unknown names and ids read as null.
        var account = Account("Ärztin.Müller", AccountRole.Doctor);
        _store.PutCustodialAccount(account);

        foreach (var name in new[] { "Ärztin.Müller", "ärztin.müller", "ÄRZTIN.MÜLLER" })
        {
            AssertSameAccount(account, _store.GetCustodialAccount(name));
        }

        AssertSameAccount(account, _store.GetCustodialAccountByUser(account.UserId));
        Assert.Null(_store.GetCustodialAccount("arztin.muller"));
        Assert.Null(_store.GetCustodialAccount(string.Empty));
        Assert.Null(_store.GetCustodialAccountByUser(_data.NextHash()));
    }

    [Fact]
    public void PutCustodialAccount_TakenUsernameInAnyCase_OrTakenUserId_IsRefused()
    {
        // A second account whose username differs only in case, or which reuses the first account's user id, is
        // refused with InvalidOperationException and leaves the first account as it was; a distinct one is added.
        var first = Account("alice", AccountRole.Patient);
        _store.PutCustodialAccount(first);

        Assert.Throws<InvalidOperationException>(() => _store.PutCustodialAccount(Account("ALICE", AccountRole.Doctor)));
        Assert.Throws<InvalidOperationException>(() => _store.PutCustodialAccount(Account("Alice", AccountRole.Doctor)));
        Assert.Throws<InvalidOperationException>(() => _store.PutCustodialAccount(Account("bob", AccountRole.Doctor) with { UserId = first.UserId }));

        AssertSameAccount(first, _store.GetCustodialAccount("alice"));
        Assert.Null(_store.GetCustodialAccount("bob"));
        var second = Account("bob", AccountRole.Doctor);
        _store.PutCustodialAccount(second);
        AssertSameAccount(second, _store.GetCustodialAccountByUser(second.UserId));
    }

    [Fact]
    public void PutCustodialAccount_InvalidFields_AreRefusedWithArgumentException()
    {
        // A blank or over-long username, an over-long organisation and an empty vault are refused; nothing is stored.
        Assert.Throws<ArgumentException>(() => _store.PutCustodialAccount(Account(string.Empty, AccountRole.Patient)));
        Assert.Throws<ArgumentException>(() => _store.PutCustodialAccount(Account("   ", AccountRole.Patient)));
        Assert.Throws<ArgumentException>(() => _store.PutCustodialAccount(Account(new string('x', Limits.MaxNameBytes + 1), AccountRole.Patient)));
        Assert.Throws<ArgumentException>(() => _store.PutCustodialAccount(Account("carol", AccountRole.Patient) with { Organisation = new string('o', Limits.MaxOrganisationIdBytes + 1) }));
        Assert.Throws<ArgumentException>(() => _store.PutCustodialAccount(Account("carol", AccountRole.Patient) with { Vault = [] }));

        Assert.Null(_store.GetCustodialAccount("carol"));
    }

    [Fact]
    public void UpdateVault_ReplacesOnlyThatAccountsVault_AndRefusesUnknownUsers()
    {
        // Updating by username in another case replaces that account's vault and nothing else; another account's
        // vault is unchanged; an unknown username throws InvalidOperationException and an empty vault ArgumentException.
        var alice = Account("alice", AccountRole.Patient);
        var bob = Account("bob", AccountRole.Patient);
        _store.PutCustodialAccount(alice);
        _store.PutCustodialAccount(bob);
        var newVault = _data.Bytes(250);

        _store.UpdateVault("ALICE", newVault);

        AssertSameAccount(alice with { Vault = newVault }, _store.GetCustodialAccount("alice"));
        AssertSameAccount(bob, _store.GetCustodialAccount("bob"));
        Assert.Throws<InvalidOperationException>(() => _store.UpdateVault("nobody", newVault));
        Assert.Throws<ArgumentException>(() => _store.UpdateVault("alice", []));
        Assert.Equal(newVault, _store.GetCustodialAccount("alice")!.Vault);
    }

    [Fact]
    public void FindEmpiEntries_MatchesEitherToken_EachEntryOnce()
    {
        // Three entries: lookups by the national-id token alone, by the name-and-birth-date token alone, and by
        // both tokens at once find exactly the entries holding them (an entry matching both tokens once). Two
        // entries share a name-and-birth-date token, as namesakes born the same day do. Null, empty and unknown
        // tokens find nothing.
        var sharedNameToken = _data.Bytes(32);
        var alice = Empi("alice", _data.Bytes(32), sharedNameToken, 2);
        var alicia = Empi("alicia", _data.Bytes(32), sharedNameToken, 1);
        var bob = Empi("bob", _data.Bytes(32), _data.Bytes(32), 3);
        _store.PutEmpiEntry(alice);
        _store.PutEmpiEntry(alicia);
        _store.PutEmpiEntry(bob);

        AssertEntries([bob], _store.FindEmpiEntries(bob.NationalIdToken, null));
        AssertEntries([alice, alicia], _store.FindEmpiEntries(null, sharedNameToken));
        AssertEntries([alice, alicia], _store.FindEmpiEntries(alice.NationalIdToken, sharedNameToken));
        AssertEntries([alicia, bob], _store.FindEmpiEntries(alicia.NationalIdToken, bob.NameBirthDateToken));
        Assert.Empty(_store.FindEmpiEntries(null, null));
        Assert.Empty(_store.FindEmpiEntries([], []));
        Assert.Empty(_store.FindEmpiEntries(_data.Bytes(32), _data.Bytes(32)));
    }

    [Fact]
    public void FindEmpiEntryByPseudonym_FindsTheEntryListingIt()
    {
        // Each pseudonym of two entries finds its own entry, with the pseudonyms in the order they were listed; an
        // unlisted pseudonym finds nothing.
        var alice = Empi("alice", _data.Bytes(32), _data.Bytes(32), 3);
        var bob = Empi("bob", _data.Bytes(32), _data.Bytes(32), 2);
        _store.PutEmpiEntry(alice);
        _store.PutEmpiEntry(bob);

        foreach (var entry in new[] { alice, bob })
        {
            foreach (var pseudonym in entry.Pseudonyms)
            {
                AssertEntries([entry], [_store.FindEmpiEntryByPseudonym(pseudonym)!]);
            }
        }

        Assert.Null(_store.FindEmpiEntryByPseudonym(_data.NextHash()));
    }

    [Fact]
    public void PutEmpiEntry_SameUsernameInAnyCase_ReplacesTheEntryAndItsPseudonyms()
    {
        // Replacing "alice" by "ALICE" with new tokens and pseudonyms: the old tokens and pseudonyms find nothing,
        // the new ones find the new entry, and only one entry exists.
        var old = Empi("alice", _data.Bytes(32), _data.Bytes(32), 2);
        _store.PutEmpiEntry(old);
        var replacement = Empi("ALICE", _data.Bytes(32), _data.Bytes(32), 1) with { Pseudonyms = [old.Pseudonyms[1], _data.NextHash()] };

        _store.PutEmpiEntry(replacement);

        Assert.Empty(_store.FindEmpiEntries(old.NationalIdToken, old.NameBirthDateToken));
        Assert.Null(_store.FindEmpiEntryByPseudonym(old.Pseudonyms[0]));
        AssertEntries([replacement], _store.FindEmpiEntries(replacement.NationalIdToken, null));
        AssertEntries([replacement], [_store.FindEmpiEntryByPseudonym(old.Pseudonyms[1])!]);
        AssertEntries([replacement], [_store.FindEmpiEntryByPseudonym(replacement.Pseudonyms[1])!]);
    }

    [Fact]
    public void PutEmpiEntry_PseudonymOfAnotherEntry_OrListedTwice_IsRefused()
    {
        // A pseudonym already listed by alice cannot be listed by bob (InvalidOperationException, and bob is not
        // stored), nor twice in one entry (ArgumentException); alice's entry is unchanged.
        var alice = Empi("alice", _data.Bytes(32), _data.Bytes(32), 2);
        _store.PutEmpiEntry(alice);
        var bob = Empi("bob", _data.Bytes(32), _data.Bytes(32), 1) with { Pseudonyms = [_data.NextHash(), alice.Pseudonyms[0]] };

        Assert.Throws<InvalidOperationException>(() => _store.PutEmpiEntry(bob));
        Assert.Empty(_store.FindEmpiEntries(bob.NationalIdToken, null));
        Assert.Null(_store.FindEmpiEntryByPseudonym(bob.Pseudonyms[0]));

        var twice = _data.NextHash();
        Assert.Throws<ArgumentException>(() => _store.PutEmpiEntry(Empi("carol", _data.Bytes(32), _data.Bytes(32), 0) with { Pseudonyms = [twice, twice] }));
        AssertEntries([alice], [_store.FindEmpiEntryByPseudonym(alice.Pseudonyms[0])!]);
    }

    private static void AssertSameAccount(CustodialAccount expected, CustodialAccount? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.Username, actual.Username);
        Assert.Equal(expected.UserId, actual.UserId);
        Assert.Equal(expected.Role, actual.Role);
        Assert.Equal(expected.Organisation, actual.Organisation);
        Assert.Equal(expected.Vault, actual.Vault);
        Assert.Equal(expected.CreatedUnixMilliseconds, actual.CreatedUnixMilliseconds);
    }

    private static void AssertEntries(IReadOnlyList<EmpiEntry> expected, IReadOnlyList<EmpiEntry> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Username, actual[i].Username);
            Assert.Equal(expected[i].NationalIdToken, actual[i].NationalIdToken);
            Assert.Equal(expected[i].NameBirthDateToken, actual[i].NameBirthDateToken);
            Assert.Equal(expected[i].SealedDemographics, actual[i].SealedDemographics);
            Assert.Equal(expected[i].Pseudonyms, actual[i].Pseudonyms);
        }
    }

    private CustodialAccount Account(string username, AccountRole role) =>
        new(username, _data.NextHash(), role, "hospital-a", _data.Bytes(180), Created);

    private EmpiEntry Empi(string username, byte[] nationalIdToken, byte[] nameBirthDateToken, int pseudonymCount) =>
        new(username, nationalIdToken, nameBirthDateToken, _data.Bytes(160), [.. Enumerable.Range(0, pseudonymCount).Select(_ => _data.NextHash())]);
}
