import { DynamicModule, Module } from '@nestjs/common';
import { ZlmApiController } from './zlm-api.controller';
import { ZLM_API_SECRET } from './zlm-api.options';
import { ZlmApiService } from './zlm-api.service';

/** The ZLMediaKit-compatible API under /index/api/; imported only when ZLM_API_SECRET is set. */
@Module({})
export class ZlmApiModule {
  static forRoot(secret: string): DynamicModule {
    return {
      module: ZlmApiModule,
      controllers: [ZlmApiController],
      providers: [{ provide: ZLM_API_SECRET, useValue: secret }, ZlmApiService],
    };
  }
}
