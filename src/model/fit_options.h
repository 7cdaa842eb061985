// FitOptions from the options object of API.md's model.fit(x, y, options): validated here, in the
// core, so every binding reports the same errors ("fit: unknown option 'epoch' ...").
#pragma once
#include <string>

#include "core/json.h"
#include "model/model.h"

namespace attn {

// {epochs, batchSize, validationSplit, shuffle, seed}; validationData, callbacks and signal are
// the caller's to wire (they are not data the core can parse).
FitOptions parseFitOptions(const Json& options);
// The ranges of the fit options, for parsed and C++-built options alike: epochs and batchSize
// >= 1, validationSplit in [0, 1). fit() calls it too.
void checkFitOptions(const FitOptions& options);

// The options of predict / evaluate ({batchSize, verbose}) and getAttention / getActivations
// (also {layer} when `withLayer`); unknown keys and bad values throw naming `entry`.
struct RunOptions {
  int batchSize = 32;
  std::string layer;
};
RunOptions parseRunOptions(const Json& options, const char* entry, bool withLayer = false);

}  // namespace attn
