# Reference figures for oncoreg.stats.rates / standardise / trend (tests/stats/test_*.py).
#
# Produced with: R version 4.2.2 Patched (2022-11-10 r83330), epitools 0.5-10.1,
# popEpi 0.4.10, jsonlite 1.8.4 (Debian packages r-cran-epitools, r-cran-popepi).
# Run from the repository root:
#   Rscript tests/stats/reference/rates_reference.R
# It writes tests/stats/reference/rates_reference.json (inputs and expected outputs).
# The tests never run R; they read the JSON.
#
# Conventions reproduced here (see docs/stats-rates.md):
# * standard weights normalised to sum 1 (as epitools::ageadjust.direct does);
# * an age group with no person-years contributes nothing: epitools gives NaN for
#   pop = 0 (rate 0/0), so such groups are passed to it with pop = Inf (rate 0,
#   variance 0, weight/pop 0), and the crude rate is sum(count) / sum(pop) written out;
# * z = qnorm(1 - alpha/2), 1.959963984540054 for 95%.
# * numbers are written with 15 significant digits (jsonlite digits = NA).

suppressPackageStartupMessages({
  library(epitools)
  library(popEpi)
  library(jsonlite)
})

ag18 <- c(paste0(seq(0, 80, 5), "-", seq(4, 84, 5)), "85+")
ag_e76 <- c("0", "1-4", paste0(seq(5, 80, 5), "-", seq(9, 84, 5)), "85+")
width18 <- c(rep(5, 17), NA)
width_e76 <- c(1, 4, rep(5, 16), NA)

# Standard populations per 100,000, transcribed from the published tables
# (../shared/reference/standard-populations), mapped onto 0-4 ... 85+.
std18 <- list(
  "world-segi" = c(12000, 10000, 9000, 9000, 8000, 8000, 6000, 6000, 6000, 6000,
                   5000, 4000, 4000, 3000, 2000, 1000, 500, 500),
  "world-who-2000" = c(8860, 8690, 8600, 8470, 8220, 7930, 7610, 7150, 6590, 6040,
                       5370, 4550, 3720, 2960, 2210, 1520, 910, 440 + 150 + 40 + 5),
  "europe-1976" = c(1600 + 6400, 7000, 7000, 7000, 7000, 7000, 7000, 7000, 7000, 7000,
                    7000, 6000, 5000, 4000, 3000, 2000, 1000, 1000),
  "europe-2013" = c(5000, 5500, 5500, 5500, 6000, 6000, 6500, 7000, 7000, 7000,
                    7000, 6500, 6000, 5500, 5000, 4000, 2500, 1500 + 1000)
)
std_e76 <- c(1600, 6400, 7000, 7000, 7000, 7000, 7000, 7000, 7000, 7000, 7000,
             7000, 6000, 5000, 4000, 3000, 2000, 1000, 1000)

# ------------------------------------------------------------------ input tables
datasets <- list()

# small: zero counts, an age group with no person-years (M 85+ pyrs = 0) and
# age groups with no row at all (F 80-84 and 85+, given as pyrs 0 here).
datasets$small <- data.frame(
  stratum = rep(c("M", "F"), each = 18),
  age_group = rep(ag18, 2),
  cases = c(0, 0, 1, 0, 0, 2, 1, 0, 3, 4, 6, 9, 12, 10, 8, 5, 2, 0,
            1, 0, 0, 0, 1, 1, 2, 4, 5, 7, 6, 8, 7, 5, 3, 2, 0, 0),
  pyrs = c(5200, 5100, 4900, 4800, 4600, 4500, 4300, 4100, 3900, 3600,
           3200, 2900, 2500, 2000, 1500, 1000, 600, 0,
           5000, 4950, 4800, 4700, 4550, 4400, 4250, 4100, 3950, 3700,
           3300, 3000, 2700, 2200, 1700, 1200, 0, 0),
  missing_row = c(rep(FALSE, 18), rep(FALSE, 16), TRUE, TRUE)
)

# vietnam: Vietnam-like population (2019 census shape, by sex) and made-up counts
# of liver cancer (M) and breast cancer (F) in one year.
pop_m <- c(4106, 4155, 3652, 3352, 3367, 3810, 4013, 3759, 3420, 3116,
           2788, 2415, 1905, 1328, 772, 510, 360, 302) * 1000
pop_f <- c(3739, 3807, 3383, 3134, 3249, 3764, 3975, 3690, 3379, 3138,
           2894, 2606, 2148, 1613, 1012, 746, 598, 608) * 1000
datasets$vietnam <- data.frame(
  stratum = rep(c("M", "F"), each = 18),
  age_group = rep(ag18, 2),
  cases = c(3, 1, 2, 5, 21, 68, 187, 402, 781, 1297, 1923, 2398, 2321, 1804,
            1168, 839, 612, 497,
            0, 0, 1, 3, 14, 52, 168, 402, 711, 1034, 1270, 1357, 1155, 822,
            511, 347, 241, 198),
  pyrs = c(pop_m, pop_f),
  missing_row = FALSE
)

# sparse: four cases in all; nocases: none at all.
datasets$sparse <- data.frame(
  stratum = "all", age_group = ag18,
  cases = c(rep(0, 10), 1, 0, 0, 2, 0, 0, 1, 0),
  pyrs = c(900, 880, 860, 850, 820, 800, 770, 740, 700, 650, 600, 540, 480, 400,
           310, 220, 130, 60),
  missing_row = FALSE
)
datasets$nocases <- data.frame(
  stratum = "all", age_group = ag18, cases = 0,
  pyrs = c(900, 880, 860, 850, 820, 800, 770, 740, 700, 650, 600, 540, 480, 400,
           310, 220, 130, 60),
  missing_row = FALSE
)

# europe76: the European 1976 standard's own 19 groups (0 and 1-4 apart).
datasets$europe76 <- data.frame(
  stratum = "all", age_group = ag_e76,
  cases = c(2, 3, 1, 2, 4, 6, 9, 14, 22, 35, 51, 80, 105, 128, 140, 131, 104, 70, 41),
  pyrs = c(10400, 41200, 50800, 49900, 51200, 52000, 50100, 48800, 47100, 45600,
           43300, 40200, 35800, 30100, 24800, 18900, 13000, 7600, 4100),
  missing_row = FALSE
)

# ------------------------------------------------------------------ formulas
garwood <- function(x, conf) {
  a <- 1 - conf
  lower <- ifelse(x == 0, 0, qchisq(a / 2, 2 * x) / 2)
  upper <- qchisq(1 - a / 2, 2 * (x + 1)) / 2
  list(lower = lower, upper = upper)
}

cumulative <- function(d, y, width, top, z) {
  inside <- !is.na(width) & seq_along(width) <= top
  r <- ifelse(y > 0, d / y, 0)
  v <- ifelse(y > 0, d / y^2, 0)
  cr <- 100 * sum((width * r)[inside])
  se <- 100 * sqrt(sum((width^2 * v)[inside]))
  risk <- function(x) 100 * (1 - exp(-x / 100))
  list(rate = cr, se = se, risk = risk(cr), lower = risk(max(cr - z * se, 0)),
       upper = risk(cr + z * se))
}

asr_row <- function(d, y, std, conf, width, top74, top64) {
  alpha <- 1 - conf
  z <- qnorm(1 - alpha / 2)
  per <- 1e5
  # epitools, with pop = Inf for groups without person-years (zero contribution)
  ea <- ageadjust.direct(count = d, pop = ifelse(y > 0, y, Inf), stdpop = std,
                         conf.level = conf)
  w <- std / sum(std)
  asr <- sum(ifelse(y > 0, w * d / y, 0))
  v <- sum(ifelse(y > 0, w^2 * d / y^2, 0))
  se <- sqrt(v)
  D <- sum(d)
  g <- garwood(D, conf)
  crude_ci <- garwood(D, conf)
  dob <- if (D > 0) c(asr + sqrt(v / D) * (g$lower - D), asr + sqrt(v / D) * (g$upper - D))
         else c(0, NA)
  nor <- if (D > 0) c(max(asr - z * se, 0), asr + z * se) else c(0, NA)
  lgn <- if (D > 0) c(asr * exp(-z * se / asr), asr * exp(z * se / asr)) else c(0, NA)
  c74 <- cumulative(d, y, width, top74, z)
  c64 <- cumulative(d, y, width, top64, z)
  list(
    cases = D, pyrs = sum(y),
    crude_rate = per * D / sum(y), crude_lower = per * crude_ci$lower / sum(y),
    crude_upper = per * crude_ci$upper / sum(y),
    epitools_adj_rate = per * unname(ea["adj.rate"]),
    asr = per * asr, asr_se = per * se,
    gamma_lower = if (D > 0) per * unname(ea["lci"]) else 0,
    gamma_upper = per * unname(ea["uci"]),
    dobson_lower = per * dob[1], dobson_upper = per * dob[2],
    normal_lower = per * nor[1], normal_upper = per * nor[2],
    lognormal_lower = per * lgn[1], lognormal_upper = per * lgn[2],
    cum_rate_0_74 = c74$rate, cum_rate_0_74_se = c74$se, cum_risk_0_74 = c74$risk,
    cum_risk_lower = c74$lower, cum_risk_upper = c74$upper,
    cum_rate_0_64 = c64$rate, cum_rate_0_64_se = c64$se, cum_risk_0_64 = c64$risk,
    cum_risk_0_64_lower = c64$lower, cum_risk_0_64_upper = c64$upper
  )
}

# ------------------------------------------------------------------ expected values
asr_rows <- list()
age_rows <- list()
popepi_rows <- list()
for (name in names(datasets)) {
  ds <- datasets[[name]]
  fine <- name == "europe76"
  standards <- if (fine) list("europe-1976" = std_e76) else std18
  width <- if (fine) width_e76 else width18
  top74 <- if (fine) 16 else 15
  top64 <- if (fine) 14 else 13
  for (s in unique(ds$stratum)) {
    part <- ds[ds$stratum == s, ]
    for (conf in c(0.95, 0.90)) {
      for (std_name in names(standards)) {
        row <- asr_row(part$cases, part$pyrs, standards[[std_name]], conf, width,
                       top74, top64)
        asr_rows[[length(asr_rows) + 1]] <- c(
          list(dataset = name, stratum = s, standard = std_name, conf = conf), row)
      }
      g <- garwood(part$cases, conf)
      for (i in seq_len(nrow(part))) {
        y <- part$pyrs[i]
        age_rows[[length(age_rows) + 1]] <- list(
          dataset = name, stratum = s, conf = conf, age_group = part$age_group[i],
          cases = part$cases[i], pyrs = y,
          rate = if (y > 0) 1e5 * part$cases[i] / y else NA,
          rate_lower = if (y > 0) 1e5 * g$lower[i] / y else NA,
          rate_upper = if (y > 0) 1e5 * g$upper[i] / y else NA,
          count_lower = g$lower[i], count_upper = g$upper[i])
      }
    }
    # popEpi cross-check of the ASR and its SE (empty groups: NaN terms dropped)
    for (std_name in names(standards)) {
      pe <- popEpi::rate(data.frame(ag = seq_len(nrow(part)), obs = part$cases,
                                    pyrs = part$pyrs),
                         obs = obs, pyrs = pyrs, adjust = ag,
                         weights = standards[[std_name]])
      popepi_rows[[length(popepi_rows) + 1]] <- list(
        dataset = name, stratum = s, standard = std_name,
        rate_adj = 1e5 * pe$rate.adj, se_rate_adj = 1e5 * pe$SE.rate.adj)
    }
  }
}

# exact Poisson limits on counts, also from poisson.test and epitools::pois.exact
pois_rows <- list()
for (x in c(0, 1, 2, 3, 5, 10, 17, 50, 100, 1000, 12345)) {
  for (conf in c(0.95, 0.90, 0.99)) {
    g <- garwood(x, conf)
    pt <- poisson.test(x, conf.level = conf)$conf.int
    # pois.exact's root search fails for x = 0 at 99% (its interval ends at 4): NA then
    pe <- tryCatch(pois.exact(x, conf.level = conf),
                   error = function(e) list(lower = NA, upper = NA))
    pois_rows[[length(pois_rows) + 1]] <- list(
      cases = x, conf = conf, lower = g$lower, upper = g$upper,
      poisson_test_lower = pt[1], poisson_test_upper = pt[2],
      pois_exact_lower = pe$lower, pois_exact_upper = pe$upper)
  }
}

# rate ratios M / F on the vietnam and small tables (world-segi, 95%)
ratio_rows <- list()
for (name in c("vietnam", "small")) {
  ds <- datasets[[name]]
  for (std_name in names(std18)) {
    r <- lapply(c("M", "F"), function(s) {
      part <- ds[ds$stratum == s, ]
      asr_row(part$cases, part$pyrs, std18[[std_name]], 0.95, width18, 15, 13)
    })
    a1 <- r[[1]]$asr; a2 <- r[[2]]$asr; s1 <- r[[1]]$asr_se; s2 <- r[[2]]$asr_se
    z <- qnorm(0.975)
    rr <- a1 / a2
    half <- z * sqrt((s1 / a1)^2 + (s2 / a2)^2)
    chi <- (a1 - a2) / sqrt(s1^2 + s2^2)
    bp <- sort(c(rr^(1 - z / chi), rr^(1 + z / chi)))
    ratio_rows[[length(ratio_rows) + 1]] <- list(
      dataset = name, standard = std_name, asr_numerator = a1, asr_denominator = a2,
      rate_ratio = rr, lognormal_lower = rr * exp(-half), lognormal_upper = rr * exp(half),
      boyle_parkin_lower = bp[1], boyle_parkin_upper = bp[2])
  }
}

# trend: counts per year 2010-2019, two sexes, 18 groups (Poisson draws, seed 20240601)
set.seed(20240601)
years <- 2010:2019
base_m <- datasets$vietnam$cases[1:18] / pop_m
base_f <- datasets$vietnam$cases[19:36] / pop_f
trend <- do.call(rbind, lapply(years, function(yr) {
  grow <- c(M = 1.02, F = 1.035)
  do.call(rbind, lapply(c("M", "F"), function(s) {
    pop <- if (s == "M") pop_m else pop_f
    base <- if (s == "M") base_m else base_f
    pyrs <- round(pop * (1 + 0.01 * (yr - 2010)) / 10)
    mu <- base * pyrs * grow[[s]]^(yr - 2010)
    data.frame(year = yr, sex = s, age_group = ag18, cases = rpois(18, mu), pyrs = pyrs)
  }))
}))
apc_rows <- list()
asr_by_year <- list()
for (s in c("M", "F")) {
  for (what in c("asr", "crude_rate")) {
    vals <- sapply(years, function(yr) {
      part <- trend[trend$sex == s & trend$year == yr, ]
      if (what == "asr") {
        1e5 * unname(ageadjust.direct(part$cases, part$pyrs, stdpop = std18[["world-segi"]])["adj.rate"])
      } else {
        1e5 * sum(part$cases) / sum(part$pyrs)
      }
    })
    if (what == "asr") asr_by_year[[s]] <- vals
    fit <- lm(log(vals) ~ years)
    ci <- confint(fit, level = 0.95)
    apc_rows[[length(apc_rows) + 1]] <- list(
      sex = s, value = what, first_year = min(years), last_year = max(years),
      years = length(years),
      apc = 100 * (exp(coef(fit)[[2]]) - 1),
      apc_lower = 100 * (exp(ci[2, 1]) - 1), apc_upper = 100 * (exp(ci[2, 2]) - 1),
      p_value = summary(fit)$coefficients[2, 4], slope = coef(fit)[[2]])
  }
}
# a small APC table given directly (rates per year), 90% limits too
apc_small <- data.frame(year = 2001:2007, rate = c(10.2, 11.0, 10.7, 12.1, 12.6, 13.9, 13.4))
fit <- lm(log(rate) ~ year, data = apc_small)
apc_small_rows <- lapply(c(0.95, 0.90), function(conf) {
  ci <- confint(fit, level = conf)
  list(conf = conf, apc = 100 * (exp(coef(fit)[[2]]) - 1),
       apc_lower = 100 * (exp(ci[2, 1]) - 1), apc_upper = 100 * (exp(ci[2, 2]) - 1),
       p_value = summary(fit)$coefficients[2, 4])
})

out <- list(
  meta = list(
    r_version = R.version.string,
    epitools = as.character(packageVersion("epitools")),
    popEpi = as.character(packageVersion("popEpi")),
    jsonlite = as.character(packageVersion("jsonlite")),
    z_975 = qnorm(0.975),
    script = "tests/stats/reference/rates_reference.R"
  ),
  datasets = lapply(datasets, function(ds) as.list(ds)),
  asr = asr_rows,
  age_specific = age_rows,
  popepi = popepi_rows,
  poisson = pois_rows,
  rate_ratio = ratio_rows,
  trend_counts = as.list(trend),
  trend_asr = asr_by_year,
  apc = apc_rows,
  apc_small = list(table = as.list(apc_small), expected = apc_small_rows)
)
write(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", pretty = TRUE),
      "tests/stats/reference/rates_reference.json")
cat("wrote tests/stats/reference/rates_reference.json\n")
