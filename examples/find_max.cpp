// Seed 002's find_max.py: sequences of 10 values drawn from Beta(1/10, 1) (mostly near 0, a
// few large); the target is the maximum. LSTM(64) -> attention(32, luong) -> Dense(1). The
// README: "we expect the attention layer to focus on the maximum of each sequence".
//   build/native/example_find_max [epochs=10] [samples=50000]
#include <cstdio>
#include <cstdlib>

#include "seed_tasks.h"

using namespace attn;

int main(int argc, char** argv) {
  const int epochs = argc > 1 ? std::atoi(argv[1]) : 10;
  const int samples = argc > 2 ? std::atoi(argv[2]) : 50000;
  Rng rng(7);
  seeds::Dataset train = seeds::findMax(samples, rng);
  seeds::Dataset test = seeds::findMax(1000, rng);

  auto model = seeds::findMaxModel();
  std::printf("%s\n", model->summary().c_str());
  seeds::Stopwatch clock;
  History history = model->fit({train.x}, {train.y}, seeds::fitOptions(epochs, 64, 1, 0.1));
  const std::string trainingTime = clock.str();
  const int last = history.epochs() - 1;
  std::printf("trained %d epochs in %s: loss %.5f, val_loss %.5f\n", epochs, trainingTime.c_str(),
              history.at("loss")[last], history.at("val_loss")[last]);

  const Tensor weights = model->getAttention({test.x}, "attention_weight");  // (n, T)
  const int n = test.x.dim(0), steps = seeds::kMaxSteps;
  int hits = 0;
  double weightOnMax = 0;
  for (int i = 0; i < n; ++i) {
    const int truth = seeds::argmax(test.x.data() + int64_t(i) * steps, steps);
    hits += seeds::argmax(weights.data() + int64_t(i) * steps, steps) == truth;
    weightOnMax += weights[int64_t(i) * steps + truth];
  }
  for (int i = 0; i < 3; ++i) {
    std::printf("\nsequence %d:\n", i);
    for (int t = 0; t < steps; ++t)
      std::printf("  %2d  x %.3f  attention %.3f %s\n", t, static_cast<double>(test.x[int64_t(i) * steps + t]),
                  static_cast<double>(weights[int64_t(i) * steps + t]),
                  t == seeds::argmax(test.x.data() + int64_t(i) * steps, steps) ? "<- max" : "");
  }
  const double accuracy = double(hits) / n;
  std::printf("\nargmax(attention) == argmax(x) on %.1f%% of %d test sequences; mean weight on the max %.3f\n",
              100 * accuracy, n, weightOnMax / n);
  std::printf("test MAE %.4f (predicting the mean: %.4f)\n",
              seeds::meanAbsoluteError(model->predict({test.x})[0], test.y), seeds::meanPredictorMae(test.y));
  return accuracy >= 0.8 ? 0 : 1;
}
