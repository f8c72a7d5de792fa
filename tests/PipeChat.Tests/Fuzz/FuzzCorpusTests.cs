using PipeChat.Fuzz.Harnesses;

namespace PipeChat.Tests.Fuzz;

/// <summary>
/// Replays the committed fuzz corpus (fuzz/corpus/HARNESS/*) through the same harness functions libFuzzer
/// drives, so every seed and every input that once crashed stays a regression test. No fuzzing here.
/// </summary>
public class FuzzCorpusTests
{
    public static TheoryData<string> HarnessNames() => new(Harnesses.All.Keys);

    [Theory]
    [MemberData(nameof(HarnessNames))]
    public void Every_corpus_input_passes_its_harness(string harness)
    {
        string directory = Path.Combine(AppContext.BaseDirectory, "fuzz-corpus", harness);
        string[] files = Directory.GetFiles(directory);
        Assert.NotEmpty(files);
        var target = Harnesses.All[harness];
        foreach (string file in files)
        {
            byte[] input = File.ReadAllBytes(file);
            try
            {
                target(input);
            }
            catch (Exception e)
            {
                Assert.Fail($"{harness} corpus file {Path.GetFileName(file)}: {e}");
            }
        }
    }

    [Fact]
    public void The_committed_seeds_are_the_ones_the_seed_code_writes()
    {
        foreach (var (harness, name, input) in SeedCorpus.All())
        {
            string file = Path.Combine(AppContext.BaseDirectory, "fuzz-corpus", harness, "seed-" + name);
            Assert.True(File.Exists(file), $"missing {harness}/seed-{name}: run PipeChat.Fuzz seed fuzz/corpus");
            Assert.Equal(input, File.ReadAllBytes(file));
        }
    }
}
