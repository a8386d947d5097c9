using Baton.Core.Definitions;

namespace Baton.Engine.Persistence;

/// <summary>Where workflow and task definitions live. Implemented once per storage provider.</summary>
public interface IMetadataStore
{
    Task UpsertTaskDefsAsync(IReadOnlyList<TaskDef> defs, CancellationToken ct = default);
    Task<TaskDef?> GetTaskDefAsync(string name, CancellationToken ct = default);
    Task<IReadOnlyList<TaskDef>> ListTaskDefsAsync(CancellationToken ct = default);
    /// <returns>false when no definition had that name.</returns>
    Task<bool> DeleteTaskDefAsync(string name, CancellationToken ct = default);

    /// <summary>Stores a definition; when <paramref name="overwrite"/> is false and that name and version exist, stores nothing.</summary>
    /// <returns>false when the definition existed and was not overwritten.</returns>
    Task<bool> SaveWorkflowDefAsync(WorkflowDef def, bool overwrite, CancellationToken ct = default);
    /// <summary>The given version, or the latest when <paramref name="version"/> is null.</summary>
    Task<WorkflowDef?> GetWorkflowDefAsync(string name, int? version, CancellationToken ct = default);
    /// <summary>Every version of every definition, ordered by name then version.</summary>
    Task<IReadOnlyList<WorkflowDef>> ListWorkflowDefsAsync(CancellationToken ct = default);
    Task<bool> DeleteWorkflowDefAsync(string name, int version, CancellationToken ct = default);
}
