namespace Baton.Storage.Sqlite;

/// <summary>
/// Owner-only files and folders (0600, 0700) for what holds data: created that way, or tightened when found looser,
/// before anything is written into them. Other users of the machine read nothing. No-ops where there are no Unix modes.
/// </summary>
public static class PrivateFiles
{
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    public const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Creates <paramref name="folder"/> (and missing parents) owner-only; an existing one is left as it is.</summary>
    public static void CreateFolder(string folder)
    {
        if (Directory.Exists(folder)) return;
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(folder);
        else Directory.CreateDirectory(folder, FolderMode);
    }

    /// <summary>Creates <paramref name="folder"/> owner-only, or makes an existing one owner-only.</summary>
    public static void CreateOrRestrictFolder(string folder)
    {
        CreateFolder(folder);
        if (!OperatingSystem.IsWindows() && File.GetUnixFileMode(folder) != FolderMode) File.SetUnixFileMode(folder, FolderMode);
    }

    /// <summary>Creates an empty <paramref name="file"/> owner-only, or makes an existing one owner-only.</summary>
    public static void CreateOrRestrict(string file)
    {
        if (OperatingSystem.IsWindows()) return;
        using (new FileStream(file, new FileStreamOptions { Mode = System.IO.FileMode.OpenOrCreate, Access = FileAccess.Write, UnixCreateMode = FileMode }))
        {
            // Only created (or opened), nothing written.
        }
        Restrict(file);
    }

    /// <summary>Makes <paramref name="file"/> owner-only when it exists and is not.</summary>
    public static void Restrict(string file)
    {
        if (OperatingSystem.IsWindows() || !File.Exists(file)) return;
        if ((File.GetUnixFileMode(file) & ~FileMode) != 0) File.SetUnixFileMode(file, FileMode);
    }
}
