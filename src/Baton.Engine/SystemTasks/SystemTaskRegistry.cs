using System.Diagnostics.CodeAnalysis;

namespace Baton.Engine.SystemTasks;

/// <summary>The system task implementations by type name.</summary>
public sealed class SystemTaskRegistry(IEnumerable<ISystemTask> tasks)
{
    private readonly Dictionary<string, ISystemTask> _byType = tasks.ToDictionary(t => t.Type, StringComparer.Ordinal);

    public bool TryGet(string type, [NotNullWhen(true)] out ISystemTask? task) => _byType.TryGetValue(type, out task);
}
