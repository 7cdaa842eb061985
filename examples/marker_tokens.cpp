// Keras' own layers on a padded token task: sequences of 3..12 tokens, padded 'pre' with 0 to
// 12; the label says whether token 7 occurs. embedding(maskZero) -> multiHeadAttention (self-
// attention) -> globalAveragePooling1D -> Dense(1, sigmoid). The mask from the embedding reaches
// the attention, so padded key positions get exactly zero weight.
//   build/native/example_marker_tokens [epochs=20] [samples=8000]
#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "seed_tasks.h"

using namespace attn;

int main(int argc, char** argv) {
  const int epochs = argc > 1 ? std::atoi(argv[1]) : 20;
  const int samples = argc > 2 ? std::atoi(argv[2]) : 8000;
  Rng rng(7);
  seeds::Dataset train = seeds::markerTokens(samples, rng);
  seeds::Dataset test = seeds::markerTokens(1000, rng);

  auto model = seeds::markerTokensModel();
  std::printf("%s\n", model->summary().c_str());
  seeds::Stopwatch clock;
  History history = model->fit({train.x}, {train.y}, seeds::fitOptions(epochs, 32, 1, 0.1));
  const std::string trainingTime = clock.str();
  const int last = history.epochs() - 1;
  std::printf("trained %d epochs in %s: loss %.4f, val_accuracy %.4f\n", epochs, trainingTime.c_str(),
              history.at("loss")[last], history.at("val_accuracy")[last]);
  const double accuracy = seeds::binaryAccuracy(model->predict({test.x})[0], test.y);

  const Tensor weights = model->getAttention({test.x}, "self_attention");  // (n, heads, T, S)
  const int n = weights.dim(0), heads = weights.dim(1), T = weights.dim(2), S = weights.dim(3);
  double largestOnPadding = 0;
  int64_t paddedKeys = 0;
  for (int i = 0; i < n; ++i)
    for (int s = 0; s < S; ++s) {
      if (test.x[int64_t(i) * S + s] != 0.f) continue;
      for (int h = 0; h < heads; ++h)
        for (int t = 0; t < T; ++t) {
          largestOnPadding = std::max(largestOnPadding, double(weights[((int64_t(i) * heads + h) * T + t) * S + s]));
          ++paddedKeys;
        }
    }
  // One positive test sequence: how the last query step of head 0 spreads its attention.
  int shown = 0;
  while (shown < n && test.y[shown] != 1.f) ++shown;
  if (shown < n) {
    std::printf("\nsequence %d (label 1), head 0, query = last step:\n", shown);
    for (int s = 0; s < S; ++s)
      std::printf("  %2d  token %2.0f  attention %.4f%s\n", s, static_cast<double>(test.x[int64_t(shown) * S + s]),
                  static_cast<double>(weights[((int64_t(shown) * heads) * T + (T - 1)) * S + s]),
                  test.x[int64_t(shown) * S + s] == float(seeds::kTokenMarker) ? "  <- marker" : "");
  }
  std::printf("\ntest accuracy %.4f; largest weight on any of %lld padded (query, key) pairs: %g\n", accuracy,
              static_cast<long long>(paddedKeys), largestOnPadding);
  std::printf("training time: %s\n", trainingTime.c_str());
  return accuracy >= 0.9 && largestOnPadding == 0 ? 0 : 1;
}
