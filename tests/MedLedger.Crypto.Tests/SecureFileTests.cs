namespace MedLedger.Crypto.Tests;

/// <summary>Secret files are written atomically and readable only by their owner.</summary>
public sealed class SecureFileTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("medledger-securefile-");

    public void Dispose() => _directory.Delete(recursive: true);

    // Proves a new file gets mode 0600 on Unix, exactly the given bytes, and missing parent folders are created.
    [Fact]
    public void WriteAllBytes_NewFile_HasOwnerOnlyModeAndExactContent()
    {
        var path = Path.Combine(_directory.FullName, "a", "b", "secret.bin");
        byte[] content = [1, 2, 3, 0, 255];
        SecureFile.WriteAllBytes(path, content);
        Assert.Equal(content, File.ReadAllBytes(path));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
    }

    // Proves overwriting a file that had a permissive mode replaces it with a 0600 file (the rename installs a new
    // inode), with the new content only, and leaves no temporary file behind.
    [Fact]
    public void WriteAllBytes_ExistingWorldReadableFile_IsReplacedWithOwnerOnlyFile()
    {
        var path = Path.Combine(_directory.FullName, "secret.bin");
        File.WriteAllBytes(path, new byte[100]);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }

        SecureFile.WriteAllBytes(path, [42]);
        Assert.Equal([42], File.ReadAllBytes(path));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        Assert.Equal(["secret.bin"], _directory.GetFiles().Select(f => f.Name));
    }
}
