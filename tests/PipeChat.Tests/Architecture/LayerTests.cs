using System.Reflection;
using System.Reflection.Emit;
using PipeChat.Hosting;

namespace PipeChat.Tests.Architecture;

/// <summary>
/// The layers of PipeChat.Core, lowest first; a type may use its own layer and those below,
/// never one above. Checked on the compiled assembly (signatures, base types, attributes'
/// types and every type, method and field the IL touches), so a `var` or a fully qualified
/// name cannot hide an upward reference.
/// </summary>
public sealed class LayerTests
{
    internal static readonly string[] Layers =
    [
        "PipeChat.Diagnostics",
        "PipeChat.Protocols",
        "PipeChat.Connections",
        "PipeChat.Transport",
        "PipeChat.Servers",
        "PipeChat.Cluster",
        "PipeChat.Hosting",
        "PipeChat.Clients",
    ];

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    [Fact]
    public void NoTypeReferencesALayerAboveIts()
    {
        var assembly = typeof(ServerFactory).Assembly;
        var violations = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var type in assembly.GetTypes())
        {
            var from = LayerOf(type);
            if (from < 0)
            {
                continue;
            }

            foreach (var used in ReferencedTypes(type))
            {
                var to = LayerOf(used);
                if (to > from)
                {
                    violations.Add($"{Outer(type).FullName} ({Layers[from]}) uses {Outer(used).FullName} ({Layers[to]})");
                }
            }
        }

        Assert.True(violations.Count == 0, "upward references:\n" + string.Join("\n", violations));
    }

    [Fact]
    public void EveryNamespaceIsInALayer()
    {
        var unplaced = typeof(ServerFactory).Assembly.GetTypes()
            .Where(t => t.Namespace?.StartsWith("PipeChat", StringComparison.Ordinal) == true && LayerOf(t) < 0)
            .Select(t => t.FullName)
            .ToList();
        Assert.Empty(unplaced);
    }

    [Fact]
    public void TheCheckSeesAnUpwardReference()
    {
        // The check itself must fail when it should: this test type uses Hosting from outside any layer,
        // so pretend it sits in the lowest one.
        var upward = ReferencedTypes(typeof(UpwardSample)).Select(LayerOf).Max();
        Assert.Equal(Array.IndexOf(Layers, "PipeChat.Hosting"), upward);
    }

    internal static int LayerOf(Type type)
    {
        var ns = Outer(type).Namespace ?? string.Empty;
        for (var i = 0; i < Layers.Length; i++)
        {
            if (ns == Layers[i] || ns.StartsWith(Layers[i] + ".", StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    private static Type Outer(Type type)
    {
        while (type.IsNested)
        {
            type = type.DeclaringType!;
        }

        return type;
    }

    internal static IEnumerable<Type> ReferencedTypes(Type type)
    {
        var found = new HashSet<Type>();
        void Add(Type? t)
        {
            if (t is null)
            {
                return;
            }

            while (t.HasElementType)
            {
                t = t.GetElementType()!;
            }

            if (t.IsGenericParameter || !found.Add(t))
            {
                return;
            }

            if (t.IsGenericType)
            {
                foreach (var arg in t.GetGenericArguments())
                {
                    Add(arg);
                }
            }
        }

        Add(type.BaseType);
        foreach (var i in type.GetInterfaces())
        {
            Add(i);
        }

        foreach (var a in type.GetCustomAttributesData())
        {
            Add(a.AttributeType);
        }

        const BindingFlags all = BindingFlags.DeclaredOnly | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static;
        foreach (var f in type.GetFields(all))
        {
            Add(f.FieldType);
        }

        foreach (var p in type.GetProperties(all))
        {
            Add(p.PropertyType);
        }

        foreach (var m in type.GetMethods(all).Cast<MethodBase>().Concat(type.GetConstructors(all)))
        {
            if (m is MethodInfo mi)
            {
                Add(mi.ReturnType);
            }

            foreach (var p in m.GetParameters())
            {
                Add(p.ParameterType);
            }

            var body = m.GetMethodBody();
            if (body is null)
            {
                continue;
            }

            foreach (var local in body.LocalVariables)
            {
                Add(local.LocalType);
            }

            foreach (var member in IlMembers(m, body.GetILAsByteArray() ?? []))
            {
                switch (member)
                {
                    case Type t:
                        Add(t);
                        break;
                    case MethodBase called:
                        Add(called.DeclaringType);
                        if (called is MethodInfo { IsGenericMethod: true } generic)
                        {
                            foreach (var arg in generic.GetGenericArguments())
                            {
                                Add(arg);
                            }
                        }

                        break;
                    case FieldInfo field:
                        Add(field.DeclaringType);
                        Add(field.FieldType);
                        break;
                }
            }
        }

        foreach (var nested in type.GetNestedTypes(all))
        {
            foreach (var t in ReferencedTypes(nested))
            {
                found.Add(t);
            }
        }

        return found;
    }

    private static IEnumerable<MemberInfo> IlMembers(MethodBase method, byte[] il)
    {
        var typeArgs = method.DeclaringType is { IsGenericType: true } d ? d.GetGenericArguments() : null;
        var methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
        var i = 0;
        while (i < il.Length)
        {
            short value = il[i++];
            if (value == 0xFE)
            {
                value = (short)(0xFE00 | il[i++]);
            }

            var op = OpCodesByValue[value];
            switch (op.OperandType)
            {
                case OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineType or OperandType.InlineTok:
                    var token = BitConverter.ToInt32(il, i);
                    MemberInfo? member = null;
                    try
                    {
                        member = method.Module.ResolveMember(token, typeArgs, methodArgs);
                    }
                    catch (ArgumentException)
                    {
                        // A token outside this module's tables (none expected): nothing to check.
                    }

                    if (member is not null)
                    {
                        yield return member;
                    }

                    i += 4;
                    break;
                case OperandType.InlineSwitch:
                    i += 4 + (4 * BitConverter.ToInt32(il, i));
                    break;
                case OperandType.InlineNone:
                    break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                    i += 1;
                    break;
                case OperandType.InlineVar:
                    i += 2;
                    break;
                case OperandType.InlineI8 or OperandType.InlineR:
                    i += 8;
                    break;
                default:
                    i += 4;
                    break;
            }
        }
    }

    private static class UpwardSample
    {
        public static int Port() => new PipeChatOptions().Port;
    }
}
