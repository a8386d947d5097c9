namespace Baton.Access.Model;

/// <summary>What a grant allows on its target (Orkes' access names). A grant holds any combination.</summary>
[Flags]
public enum AccessRight
{
    None = 0,
    Read = 1,
    Create = 2,
    Update = 4,
    Delete = 8,
    Execute = 16,
    All = Read | Create | Update | Delete | Execute,
}

public static class AccessRights
{
    private static readonly (AccessRight Right, string Name)[] Names =
        [(AccessRight.Read, "READ"), (AccessRight.Create, "CREATE"), (AccessRight.Update, "UPDATE"), (AccessRight.Delete, "DELETE"), (AccessRight.Execute, "EXECUTE")];

    /// <summary>The names of the single rights in <paramref name="rights"/>, in a fixed order.</summary>
    public static List<string> ToNames(AccessRight rights) => [.. Names.Where(n => rights.HasFlag(n.Right)).Select(n => n.Name)];

    public static string Name(AccessRight right) => Names.First(n => n.Right == right).Name;

    public static bool TryParse(string? name, out AccessRight right)
    {
        foreach (var (r, n) in Names)
        {
            if (string.Equals(n, name, StringComparison.OrdinalIgnoreCase))
            {
                right = r;
                return true;
            }
        }
        right = AccessRight.None;
        return false;
    }

    public static IEnumerable<AccessRight> Singles(AccessRight rights) => Names.Select(n => n.Right).Where(r => rights.HasFlag(r));

    public static string ValidNames => string.Join(", ", Names.Select(n => n.Name));
}
