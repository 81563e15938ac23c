# portledger: multi-stage build. better-sqlite3 has no reachable prebuilt binary and compiles
# with node-gyp, and so does the UDP addon (libs/udp-batch), so the build stage carries
# python3/make/g++; the runtime stage does not.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
COPY migrations ./migrations
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    HTTP_HOST=0.0.0.0 \
    DATABASE_URL=sqlite:/data/portledger.sqlite \
    RECORD_DIR=/data/records \
    LOG_FORMAT=json
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# the UDP receive addon (compiled by `npm run build`; found by walking up from dist/libs/udp-batch)
COPY --from=build /app/libs/udp-batch/native/build/Release/udp_batch.node ./libs/udp-batch/native/build/Release/udp_batch.node
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
# HTTP_PORT (default 3000) plus MEDIA_PORT_RANGE (TCP); with host networking nothing is published.
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.HTTP_PORT||3000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/apps/portledger/src/main.js"]
